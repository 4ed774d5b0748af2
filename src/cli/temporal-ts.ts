/**
 * temporal-ts: the server's own command line: server start / start-dev, and Temporal's `temporal`
 * CLI commands for workflows (workflow …), schedules (schedule …), namespaces and search attributes
 * (operator …), task queues (task-queue describe) and activities (activity complete|fail).
 */
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../common/package-info';
import { errorMessage } from '../schema/errors';
import { registerAdminCommands } from './admin-commands';
import { registerOperationsCommands } from './operations-commands';
import { registerOperatorCommands } from './operator-commands';
import { registerScheduleCommands } from './schedule-commands';
import { registerServerCommands } from './server-commands';
import { registerSimulateCommand } from './simulate-command';
import { registerWorkflowCommands } from './workflow-commands';

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('temporal-ts');
  program
    .description('A Temporal-compatible durable-execution server.')
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError('(run with --help for usage)');
  program.exitOverride();
  program.configureHelp({ showGlobalOptions: true });
  registerServerCommands(program);
  registerWorkflowCommands(program);
  registerScheduleCommands(program);
  registerOperatorCommands(program);
  registerOperationsCommands(program);
  registerSimulateCommand(program);
  registerAdminCommands(program);
  const overrideAll = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(overrideAll);
  };
  overrideAll(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 1;
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    return 1;
  }
}
