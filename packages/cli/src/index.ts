/**
 * The `mandate` command as a library: run it in-process with {@link main} and a {@link CliIo}.
 * @packageDocumentation
 */
export { CliError, type CliIo, EXIT } from "./cli-io.js";
export { main, USAGE } from "./main.js";
