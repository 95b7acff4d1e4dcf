/**
 * The config file's text, parsed as TOML. A module of its own: the daemon loads the parser, an
 * npm package, only when there is a config file to read.
 *
 * @module
 */
import { parse } from "smol-toml";

/**
 * Parses the config file at `path` (for messages) from its text.
 * @throws {Error} naming the file, with the first line of the parser's message
 */
export function parseConfigFile(path: string, text: string): unknown {
  try {
    return parse(text);
  } catch (cause) {
    throw new Error(
      `Invalid config file "${path}": ${(cause as Error).message.split("\n")[0]}`,
      { cause },
    );
  }
}
