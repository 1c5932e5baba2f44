// Dockerfile variable expansion with the build's escape character; expansion errors become BuildErrors.
import { ExpansionError, processWord, processWords } from '../dockerfile/shell-words.js';
import { BuildError } from './build-context.js';

export class WordExpander {
  /** The Dockerfile's escape directive; set once the Dockerfile is parsed. */
  escape = '\\';

  expand(word: string, env: Map<string, string>): string {
    try {
      return processWord(word, env, this.escape);
    } catch (err) {
      if (err instanceof ExpansionError) throw new BuildError(err.message);
      throw err;
    }
  }

  /** As expand(), but the word unchanged where it does not expand. */
  expandSafe(word: string, env: Map<string, string>): string {
    try {
      return processWord(word, env, this.escape);
    } catch {
      return word;
    }
  }

  words(text: string, env: Map<string, string>): string[] {
    try {
      return processWords(text, env, this.escape);
    } catch (err) {
      if (err instanceof ExpansionError) throw new BuildError(err.message);
      throw err;
    }
  }
}

/** `$VAR` and `${VAR}` in the body of an expanding heredoc. */
export function expandHeredoc(content: string, env: Map<string, string>): string {
  return content.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => env.get(a ?? b ?? '') ?? '');
}
