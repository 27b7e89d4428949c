// Reading a password without echo (interactive) or from a file (scripts, provisioning).
import * as fs from 'node:fs';
import * as readline from 'node:readline';

export async function readPassword(opts: { passwordFile?: string; prompt: string }): Promise<string> {
  if (opts.passwordFile) {
    const text = fs.readFileSync(opts.passwordFile, 'utf8');
    const first = text.split(/\r?\n/)[0] ?? '';
    if (!first) throw new Error(`--password-file ${opts.passwordFile}: the first line is empty`);
    return first;
  }
  const input = process.stdin;
  if (!input.isTTY) {
    // Piped: the first line of standard input.
    const rl = readline.createInterface({ input });
    for await (const line of rl) {
      rl.close();
      if (line) return line;
      break;
    }
    throw new Error('no password on standard input (use a terminal or --password-file)');
  }
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
    let muted = false;
    out._writeToOutput = (s: string) => {
      if (!muted) process.stderr.write(s);
    };
    rl.question(opts.prompt, (answer) => {
      rl.close();
      process.stderr.write('\n');
      if (!answer) reject(new Error('empty password'));
      else resolve(answer);
    });
    muted = true;
  });
}
