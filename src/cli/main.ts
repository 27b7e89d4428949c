#!/usr/bin/env node
// The imedge command. Subcommands stay thin: they parse arguments, load the configuration
// and call into src/app; failures become an exit code and one clear line on stderr.
import { endStartup } from './startup-flags'; // first: V8 start-up settings before any other module loads
import type { Command } from 'commander';
import type { Config, FlagValues, LoadOptions } from '../config';
import { loadConfigApart } from '../config/load-apart';
import { createLogger } from '../log';
import { describeFatal, EXIT_CONFIG, EXIT_FAILURE, EXIT_OK } from './exit';
import { serve } from './serve';
import { packageVersion } from '../app/version';
import { registerChatCommand } from './chat-command';
import { CONFIG_OPTIONS, SERVE_OPTIONS, serveOptions } from './serve-options';

// The configuration code (yaml, valibot, the schema) never enters the server's heap: `serve`
// reads its configuration in a child process (config/load-apart.ts), the short-lived subcommands
// here on first use.
const loadConfig = (opts: LoadOptions): Config => (require('../config/load') as typeof import('../config/load')).loadConfig(opts);

// Subcommands other than `serve` load their code when they run (a require on first use):
// a server's heap holds only what serving needs (issue 14 item 4).
const userCmd = (): typeof import('./user') => require('./user') as typeof import('./user');
const groupCmd = (): typeof import('./group') => require('./group') as typeof import('./group');
const doctorCmd = (): typeof import('../app/doctor') => require('../app/doctor') as typeof import('../app/doctor');
const detectCmd = (): typeof import('../device/board/detect') => require('../device/board/detect') as typeof import('../device/board/detect');

// commander (~0.3 MB of heap with its code) builds the full command line; `imedge serve` with
// well-formed options starts without it (serve-options.ts): a server's heap does not keep it
// (issue 14 item 4).
const commander = (): typeof import('commander') => require('commander') as typeof import('commander');

async function runServe(o: Record<string, string | undefined>): Promise<void> {
  const cfg = loadConfigApart({ flags: flagsOf(o) });
  await serve(cfg, createLogger({ level: cfg.log.level }), endStartup);
}

function fail(err: unknown): never {
  const { code, message } = describeFatal(err);
  process.stderr.write(`imedge: ${message}\n`);
  process.exit(code);
}

const withOptions = (cmd: Command, options: readonly (readonly [string, string])[]): Command => {
  for (const [flags, help] of options) cmd.option(flags, help);
  return cmd;
};
const configFlags = (cmd: Command): Command => withOptions(cmd, CONFIG_OPTIONS);

function flagsOf(o: Record<string, string | undefined>): Partial<FlagValues> {
  const f: Partial<FlagValues> = {};
  if (o.config !== undefined) f.config = o.config;
  if (o.board !== undefined) f.board = o.board;
  if (o.bind !== undefined) f.bind = o.bind;
  if (o.domain !== undefined) f.domain = o.domain;
  if (o.sipPort !== undefined) f.sipPort = o.sipPort;
  if (o.msrpPort !== undefined) f.msrpPort = o.msrpPort;
  if (o.httpPort !== undefined) f.httpPort = o.httpPort;
  if (o.dataDir !== undefined) f.dataDir = o.dataDir;
  if (o.watchdogDevice !== undefined) f.watchdogDevice = o.watchdogDevice;
  if (o.tlsCert !== undefined) f.tlsCert = o.tlsCert;
  if (o.tlsKey !== undefined) f.tlsKey = o.tlsKey;
  if (o.sipsPort !== undefined) f.sipsPort = o.sipsPort;
  if (o.msrpsPort !== undefined) f.msrpsPort = o.msrpsPort;
  // Options that are not configuration keys (modelFile, passwordFile) are not passed on.
  return f;
}

export function buildProgram(): Command {
  const program = new (commander().Command)('imedge')
    .description('OMA SIMPLE IM server (SIP + MSRP) for small boards')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError();

  withOptions(configFlags(program.command('serve').description('run the server')), SERVE_OPTIONS).action((o) => runServe(o));

  const user = program.command('user').description('manage users allowed to register (digest credentials)');
  configFlags(user.command('add <name>').description('add a user or change its password'))
    .option('--password-file <file>', 'read the password from the first line of this file')
    .action(async (name: string, o) => {
      await userCmd().userAdd(loadConfig({ flags: flagsOf(o) }), name, o.passwordFile);
    });
  configFlags(user.command('list').description('list users')).action((o) => userCmd().userList(loadConfig({ flags: flagsOf(o) })));
  configFlags(user.command('delete <name>').description('delete a user and its registrations')).action((name: string, o) =>
    userCmd().userDelete(loadConfig({ flags: flagsOf(o) }), name),
  );
  const group = program.command('group').description('pre-defined groups (OMA group documents, sip:<id>@<domain>)');
  configFlags(group.command('import <file>').description('add or replace the group the document names')).action((file: string, o) =>
    groupCmd().groupImport(loadConfig({ flags: flagsOf(o) }), file),
  );
  configFlags(group.command('list').description('list groups')).action((o) => groupCmd().groupList(loadConfig({ flags: flagsOf(o) })));
  configFlags(group.command('show <id>').description('print a group document')).action((id: string, o) => groupCmd().groupShow(loadConfig({ flags: flagsOf(o) }), id));
  configFlags(group.command('delete <id>').description('delete a group')).action((id: string, o) => groupCmd().groupDelete(loadConfig({ flags: flagsOf(o) }), id));
  const board = program.command('board').description('board profiles');
  board
    .command('detect')
    .description('name the board profile that fits this machine (from /proc/device-tree/model)')
    .option('--model-file <path>', 'device-tree model file to read', '/proc/device-tree/model')
    .action((o) => {
      const d = detectCmd().detectBoard(o.modelFile);
      process.stdout.write(`${d.profile ?? 'unknown'}\t${d.model ?? '(none)'}\t${d.reason}\n`);
      if (!d.profile) process.exitCode = 1;
    });
  configFlags(program.command('doctor').description('check this machine against the board profile'))
    .option('--watchdog-device <path>', 'check this watchdog device')
    .option('--model-file <path>', 'device-tree model file to read', '/proc/device-tree/model')
    .action(async (o) => {
      const { formatDoctor, runDoctor, watchdogLinkLine } = doctorCmd();
      const cfg = loadConfig({ flags: flagsOf({ ...o, modelFile: undefined }) });
      const r = runDoctor(cfg, { modelPath: o.modelFile });
      const link = await watchdogLinkLine(cfg);
      r.lines.push(link);
      r.ok = r.ok && link.ok;
      process.stdout.write(formatDoctor(r));
      if (!r.ok) process.exitCode = 1;
    });
  registerChatCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const fast = serveOptions(argv.slice(2));
  try {
    if (fast !== undefined) await runServe(fast);
    else await buildProgram().parseAsync(argv);
  } catch (err) {
    if (fast === undefined && err instanceof commander().CommanderError) {
      // Help and version print and exit 0; usage errors exit 2 (commander already printed them).
      process.exit(err.exitCode === 0 ? EXIT_OK : EXIT_CONFIG);
    }
    fail(err);
  }
}

if (require.main === module) {
  main(process.argv).catch((err) => {
    process.stderr.write(`imedge: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(EXIT_FAILURE);
  });
}
