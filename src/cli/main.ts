// CLI entry: parses arguments with yargs, runs one command, and turns failures into one line on
// stderr and an exit code (1: bad input or failed work, 2: usage). A stack trace is printed only
// for an internal error, and only with TFCONV_DEBUG=1.

import yargs from 'yargs';
import { TfconvError, isTfconvError } from '../errors/index.js';
import { PACKAGE_VERSION } from '../util/package.js';
import { commands } from './commands/registry.js';
import { type CliIO, processIO } from './io.js';

export function buildParser(argv: string[], io: CliIO, onRun: (p: Promise<number>) => void) {
  let parser = yargs(argv)
    .scriptName('tfconv')
    .usage('$0 <command> [options]')
    .version(PACKAGE_VERSION)
    .strict()
    .strictCommands()
    .demandCommand(1, 'a command is required (see tfconv --help)')
    .recommendCommands()
    .help()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg: string | undefined, e: Error | undefined) => {
      if (e) throw e;
      throw new TfconvError('USAGE', msg ?? 'invalid usage');
    });
  for (const c of commands) {
    parser = parser.command(c.command, c.describe, c.builder, (args) => {
      onRun(c.handler(args as Record<string, unknown>, io));
    });
  }
  return parser;
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  try {
    let run: Promise<number> | undefined;
    let helpText = '';
    const parser = buildParser(argv, io, (p) => (run = p));
    await parser.parseAsync(argv, {}, (e: Error | undefined, _args: unknown, output: string) => {
      if (e) throw e;
      helpText = output;
    });
    if (helpText) io.stdout.write(helpText.endsWith('\n') ? helpText : `${helpText}\n`);
    return run ? await run : 0;
  } catch (e) {
    return reportError(e, io);
  }
}

export function reportError(e: unknown, io: CliIO): number {
  if (isTfconvError(e)) {
    io.stderr.write(`tfconv: error: ${e.message}\n`);
    if (e.exitCode === 2) io.stderr.write('Run tfconv --help for usage.\n');
    return e.exitCode;
  }
  const message = e instanceof Error ? e.message : String(e);
  io.stderr.write(`tfconv: internal error: ${message.split('\n')[0]} (set TFCONV_DEBUG=1 for details)\n`);
  if (process.env.TFCONV_DEBUG && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
  return 1;
}
