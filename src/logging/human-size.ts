/**
 * go-units FromHumanSize as dockerd's log drivers parse `max-size`:
 * decimal multipliers (1k = 1000), an optional "i"/"b" suffix ignored
 * ("1kib" = 1000), fractions truncated. Returns undefined when the text is
 * not a size; the caller words the error as its driver does.
 */
const sizeRe = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const decimal: Readonly<Record<string, number>> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

export function fromHumanSize(text: string): number | undefined {
  const m = sizeRe.exec(text);
  if (!m?.[1]) return undefined;
  // strconv.ParseFloat of "1.2.3" fails: go-units then returns that error; treat it as not a size.
  if ((m[1].match(/\./g) ?? []).length > 1) return undefined;
  const mul = m[2] ? (decimal[m[2].toLowerCase()] ?? 1) : 1;
  return Math.trunc(Number(m[1]) * mul);
}

/** go-units RAMInBytes: binary multipliers (1k = 1024); undefined when not a size. */
export function ramInBytes(text: string): number | undefined {
  const m = sizeRe.exec(text);
  if (!m?.[1] || (m[1].match(/\./g) ?? []).length > 1) return undefined;
  const exp = m[2] ? 'kmgtp'.indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.trunc(Number(m[1]) * 1024 ** exp);
}
