/**
 * temporal-ts: the server's own command line (server start / start-dev; admin and workflow commands
 * join it as they are built).
 */
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../common/package-info';
import { errorMessage } from '../schema/errors';
import { registerServerCommands } from './server-commands';

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('temporal-ts');
  program.description('A Temporal-compatible durable-execution server.').version(packageVersion(), '-v, --version').showHelpAfterError('(run with --help for usage)');
  program.exitOverride();
  registerServerCommands(program);
  for (const c of program.commands) for (const s of c.commands) s.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 1;
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    return 1;
  }
}
