/**
 * The `vt100` text console of a simulated VM: a byte stream that behaves like a Linux serial getty
 * behind a pty, for the terminal view. No external programs.
 *
 * How it works: each `connect()` makes an in-memory duplex pair and runs one session on the far end.
 * The session writes an /etc/issue-style line and `<name> login: `, then runs a tiny line discipline
 * (echo, CR/LF → CRLF, BackSpace/DEL erase, ^U kill line, ^C interrupt, ^D end of input) over a state
 * machine: login → password (not echoed) → shell → login again on `exit`/`logout`/^D. The shell knows
 * `echo`, `hostname`, `uname`, `whoami`, `exit`; anything else is "command not found". Any password is
 * accepted: this is a demo guest, not a security boundary.
 */
import type { Duplex } from 'node:stream';
import { createDuplexPair } from './duplex-pair';
import type { TextConsoleBackend } from './types';

type SessionState = 'login' | 'password' | 'shell' | 'closed';

const CTRL_C = 0x03;
const CTRL_D = 0x04;
const CTRL_U = 0x15;
const BACKSPACE = 0x08;
const DEL = 0x7f;
const CR = 0x0d;
const LF = 0x0a;
/** Longest input line kept, characters (a pty's canonical buffer is 4096 bytes). */
const MAX_LINE_CHARS = 4095;

class TextSession {
  private state: SessionState = 'login';
  private line = '';
  private user = '';
  private lastWasCr = false;

  constructor(
    private readonly stream: Duplex,
    private readonly name: string,
  ) {
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('end', () => this.close());
    stream.on('close', () => this.close());
    stream.on('error', () => this.close());
    this.banner();
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stream.destroy();
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  private write(text: string): void {
    if (this.state !== 'closed') this.stream.write(text, 'utf8');
  }

  private banner(): void {
    this.write(`\r\nPorthole simulated guest ${this.name} hvc0\r\n\r\n${this.name} login: `);
    this.state = 'login';
  }

  private prompt(): void {
    this.write(`${this.user}@${this.name}:~# `);
  }

  private receive(chunk: Buffer): void {
    for (const byte of chunk) {
      if (this.state === 'closed') return;
      const afterCr = this.lastWasCr;
      this.lastWasCr = byte === CR;
      if (byte === LF && afterCr) continue; // CR LF is one line end
      if (byte === CR || byte === LF) {
        this.write('\r\n');
        const line = this.line;
        this.line = '';
        this.submit(line);
      } else if (byte === BACKSPACE || byte === DEL) {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          if (this.state !== 'password') this.write('\b \b');
        }
      } else if (byte === CTRL_U) {
        if (this.state !== 'password') this.write('\b \b'.repeat(this.line.length));
        this.line = '';
      } else if (byte === CTRL_C) {
        this.write('^C\r\n');
        this.line = '';
        if (this.state === 'shell') this.prompt();
        else this.banner();
      } else if (byte === CTRL_D) {
        if (this.line === '' && this.state === 'shell') {
          this.write('logout\r\n');
          this.banner();
        }
      } else if (byte >= 0x20 && this.line.length < MAX_LINE_CHARS) {
        const ch = String.fromCharCode(byte);
        this.line += ch;
        if (this.state !== 'password') this.write(ch);
      }
    }
  }

  private submit(line: string): void {
    switch (this.state) {
      case 'login':
        if (line.trim() === '') this.write(`${this.name} login: `);
        else {
          this.user = line.trim();
          this.state = 'password';
          this.write('Password: ');
        }
        return;
      case 'password':
        this.state = 'shell';
        this.write(`Welcome to ${this.name}.\r\n`);
        this.prompt();
        return;
      case 'shell':
        this.run(line.trim());
        return;
      case 'closed':
        return;
    }
  }

  private run(command: string): void {
    const [cmd = '', ...args] = command.split(/\s+/);
    switch (cmd) {
      case '':
        break;
      case 'exit':
      case 'logout':
        this.banner();
        return;
      case 'echo':
        this.write(`${args.join(' ')}\r\n`);
        break;
      case 'hostname':
        this.write(`${this.name}\r\n`);
        break;
      case 'whoami':
        this.write(`${this.user}\r\n`);
        break;
      case 'uname':
        this.write(args.includes('-a') ? `Linux ${this.name} 6.1.0-sim #1 SMP x86_64 GNU/Linux\r\n` : 'Linux\r\n');
        break;
      default:
        this.write(`-sh: ${cmd}: command not found\r\n`);
    }
    this.prompt();
  }
}

/** Starts the text console of one VM; each connection gets its own getty session. */
export function startTextConsole(opts: { name: string }): Promise<TextConsoleBackend & { readonly sessions: number }> {
  const sessions = new Set<TextSession>();
  let stopped = false;
  return Promise.resolve({
    get sessions(): number {
      for (const s of sessions) if (s.closed) sessions.delete(s);
      return sessions.size;
    },
    connect(): Promise<Duplex> {
      if (stopped) return Promise.reject(new Error('text console is stopped'));
      const [client, server] = createDuplexPair();
      const session = new TextSession(server, opts.name);
      sessions.add(session);
      server.once('close', () => sessions.delete(session));
      return Promise.resolve(client);
    },
    stop(): Promise<void> {
      stopped = true;
      for (const s of sessions) s.close();
      sessions.clear();
      return Promise.resolve();
    },
  });
}
