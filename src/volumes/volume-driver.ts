/**
 * A volume driver keeps the data of named volumes on this host.
 * Lifecycle: `validateOptions` at create, `create` makes the (empty) data
 * directory, `mount` is called before every container start that uses the
 * volume and is idempotent, `unmount` undoes what `mount` did, `remove`
 * unmounts and deletes everything of the volume. The engine owns the
 * metadata (names, labels, options) and reference counting.
 */
export interface VolumeDriver {
  readonly name: string;
  /** Throws invalid_argument for options the driver does not understand. */
  validateOptions(options: Readonly<Record<string, string>>): void;
  create(name: string, options: Readonly<Record<string, string>>): Promise<void>;
  /** Host path of the volume's data, as containers see it. */
  mountpoint(name: string): string;
  mount(name: string, options: Readonly<Record<string, string>>): Promise<string>;
  unmount(name: string): Promise<void>;
  remove(name: string): Promise<void>;
}
