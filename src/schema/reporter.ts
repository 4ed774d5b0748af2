/** Where the schema engine says what it does: one line per step, warnings kept apart. */
export interface Reporter {
  info(line: string): void;
  warn(line: string): void;
}

export const consoleReporter = (quiet: boolean): Reporter => ({
  info: (line) => {
    if (!quiet) process.stdout.write(line + '\n');
  },
  warn: (line) => process.stderr.write(`warning: ${line}\n`),
});

export const silentReporter: Reporter = { info: () => undefined, warn: () => undefined };
