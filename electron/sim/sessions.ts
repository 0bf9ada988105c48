/**
 * Users, roles and sessions of the simulated pool.
 *
 * Sessions live on the master (in xapi's database) and are lost on a toolstack restart or a master
 * failover (`expireAll`). An idle session dies after 24 h; at most 500 sessions per user and originator
 * are kept, the oldest is destroyed first (xapi's `Xapi_session` limits). Roles are ranked the way xapi's
 * RBAC nests them; power operations need at least `vm-operator`, host (dom0) consoles need `pool-admin`.
 */
import { newRef, newUuid } from './values';

/** xapi's roles, weakest first. */
export const ROLES = ['read-only', 'vm-operator', 'vm-admin', 'vm-power-admin', 'pool-operator', 'pool-admin'] as const;
/** One of `ROLES`. */
export type Role = (typeof ROLES)[number];

/** True when `role` has at least the rights of `needed`. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** A logged-in session. */
export interface Session {
  ref: string;
  uuid: string;
  user: string;
  role: Role;
  originator: string;
  createdMs: number;
  lastActiveMs: number;
}

/** Idle sessions die after this long (xapi: 24 h). */
const SESSION_IDLE_MS = 24 * 3600 * 1000;
/** Sessions kept per user and originator (xapi: 500). */
const MAX_SESSIONS_PER_ORIGINATOR = 500;

/** The user table and the live sessions. */
export class Sessions {
  private readonly users = new Map<string, { password: string; role: Role }>();
  private readonly live = new Map<string, Session>();
  /** Every session ref and uuid ever issued (the secrets tests search outputs for them). */
  readonly issued: string[] = [];
  /** Called when sessions die, so blocked event.from calls wake up and fail. */
  onExpire: () => void = () => undefined;

  /** Adds or replaces a user. */
  addUser(name: string, password: string, role: string): void {
    if (!(ROLES as readonly string[]).includes(role)) throw new Error(`unknown role ${role}`);
    this.users.set(name, { password, role: role as Role });
  }

  /** Checks a password; returns the user's role or undefined. */
  authenticate(name: string, password: string): Role | undefined {
    const u = this.users.get(name);
    return u !== undefined && u.password === password ? u.role : undefined;
  }

  /** Opens a session for an authenticated user. */
  open(user: string, role: Role, originator: string): Session {
    const now = Date.now();
    const mine = [...this.live.values()].filter((s) => s.user === user && s.originator === originator);
    if (mine.length >= MAX_SESSIONS_PER_ORIGINATOR) {
      mine.sort((a, b) => a.lastActiveMs - b.lastActiveMs);
      for (const s of mine.slice(0, mine.length - MAX_SESSIONS_PER_ORIGINATOR + 1)) this.live.delete(s.ref);
    }
    const session: Session = { ref: newRef(), uuid: newUuid(), user, role, originator, createdMs: now, lastActiveMs: now };
    this.live.set(session.ref, session);
    this.issued.push(session.ref, session.uuid);
    return session;
  }

  /** The live session with this ref (and marks it active), or undefined. */
  use(ref: unknown): Session | undefined {
    if (typeof ref !== 'string') return undefined;
    const s = this.live.get(ref);
    if (s === undefined) return undefined;
    const now = Date.now();
    if (now - s.lastActiveMs > SESSION_IDLE_MS) {
      this.live.delete(ref);
      return undefined;
    }
    s.lastActiveMs = now;
    return s;
  }

  /** True while the session is alive (no activity update). */
  alive(ref: string): boolean {
    return this.live.has(ref);
  }

  /** Ends one session. */
  close(ref: string): void {
    if (this.live.delete(ref)) this.onExpire();
  }

  /** Ends every session (toolstack restart, failover). */
  expireAll(): void {
    this.live.clear();
    this.onExpire();
  }

  /** Number of live sessions. */
  count(): number {
    return this.live.size;
  }

  /** Live sessions per user name. */
  countByUser(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.live.values()) out[s.user] = (out[s.user] ?? 0) + 1;
    return out;
  }
}
