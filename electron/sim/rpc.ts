/**
 * The XAPI methods the simulator answers, shared by the JSON-RPC and XML-RPC front ends.
 *
 * `dispatch(ctx, method, params)` resolves to the result or rejects with a `XapiFailure`. The order of
 * checks follows xapi's dispatcher: unknown method (`MESSAGE_METHOD_UNKNOWN [name]`) → parameter count
 * (`MESSAGE_PARAMETER_COUNT_MISMATCH [name, expected, received]`) → session (`SESSION_INVALID [ref]`)
 * → RBAC (`RBAC_PERMISSION_DENIED [permission, reason]`) → handles (`HANDLE_INVALID [class, ref]`).
 *
 * Served: session login/logout/get_record, system.listMethods, per class get_all_records / get_all /
 * get_record / get_by_uuid / get_by_name_label / get_<field> / add_to_other_config /
 * remove_from_other_config, host.get_server_certificate, event.inject / event.from, task.create /
 * cancel / destroy, and the VM power operations with their `Async.` forms.
 */
import { XapiFailure, fail } from './errors';
import { parseSubscription, type Subscription } from './db';
import { cancelTask, createTask, finishTask, runPowerOp, type PowerOp } from './lifecycle';
import { roleAtLeast, type Role, type Session } from './sessions';
import type { HostRuntime, PoolState } from './state';
import { Int32 } from './xmlrpc';
import { NULL_REF, isMap, map, xapiDate, type Value, type XRecord } from './values';

/** Who is calling, and where. */
export interface CallContext {
  state: PoolState;
  /** The host whose listener received the call. */
  host: HostRuntime;
}

type Handler = (ctx: CallContext, session: Session | undefined, args: unknown[]) => unknown;

interface MethodSpec {
  /** Accepted parameter counts, session included. */
  arity: readonly number[];
  /** False for methods called without a session (login, system.*). */
  session: boolean;
  /** Role needed, when not read-only. */
  role?: Role;
  fn: Handler;
}

const POWER_OPS: readonly PowerOp[] = ['start', 'clean_shutdown', 'hard_shutdown', 'clean_reboot', 'hard_reboot', 'suspend', 'resume', 'pool_migrate'];
const POWER_ARITY: Record<PowerOp, number> = {
  start: 4, resume: 4, pool_migrate: 4, clean_shutdown: 2, hard_shutdown: 2, clean_reboot: 2, hard_reboot: 2, suspend: 2,
};

/** Format of event tokens (`xapi_event.ml` Token.to_string): two zero-padded generations. */
export function formatToken(generation: number): string {
  return `${String(generation).padStart(20, '0')},${'0'.padStart(20, '0')}`;
}

function parseToken(token: unknown): number {
  if (typeof token !== 'string') fail('FIELD_TYPE_ERROR', 'token');
  if (token === '') return 0;
  const parts = token.split(',');
  const n = Number(parts[0]);
  if (parts.length !== 2 || parts[0] === '' || !Number.isInteger(n) || n < 0) fail('EVENT_FROM_TOKEN_PARSE_FAILURE', token);
  return n;
}

function refArg(ctx: CallContext, cls: string, value: unknown): string {
  if (typeof value !== 'string') fail('FIELD_TYPE_ERROR', cls);
  if (ctx.state.db.get(cls, value) === undefined) fail('HANDLE_INVALID', cls, value);
  return value;
}

function stringArg(value: unknown, name: string): string {
  if (typeof value !== 'string') fail('FIELD_TYPE_ERROR', name);
  return value;
}

function boolArg(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') fail('FIELD_TYPE_ERROR', name);
  return value;
}

function allRecords(ctx: CallContext, cls: string): Record<string, XRecord> {
  const out: Record<string, XRecord> = {};
  for (const row of ctx.state.db.rows(cls)) out[row.ref] = row.rec;
  return out;
}

async function eventFrom(ctx: CallContext, session: Session, classes: unknown, token: unknown, timeout: unknown): Promise<unknown> {
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string')) fail('FIELD_TYPE_ERROR', 'classes');
  if (typeof timeout !== 'number' || !Number.isFinite(timeout)) fail('FIELD_TYPE_ERROR', 'timeout');
  const subs: Subscription[] = classes.map((c) => parseSubscription(c) ?? fail('EVENT_SUBSCRIPTION_PARSE_FAILURE', c));
  let since = parseToken(token);
  const { db, sessions } = ctx.state;
  if (!db.answerable(since)) fail('EVENTS_LOST');
  const deadline = Date.now() + Math.max(0, timeout) * 1000;
  for (;;) {
    // A session that dies while we wait gets SESSION_INVALID, as xapi wakes its blocked calls.
    if (!sessions.alive(session.ref) || !ctx.host.up) fail('SESSION_INVALID', session.ref);
    if (!db.answerable(since)) fail('EVENTS_LOST');
    const { events, last } = db.changesSince(since, subs);
    const now = Date.now();
    if (events.length > 0 || now >= deadline || ctx.state.closed) {
      const counts: Record<string, Int32> = {};
      for (const [cls, n] of Object.entries(db.counts())) counts[cls] = new Int32(n);
      return { events, valid_ref_counts: counts, token: formatToken(last) };
    }
    since = last;
    await db.waitForChange(deadline - now);
  }
}

function login(ctx: CallContext, args: unknown[]): string {
  const { state, host } = ctx;
  state.loginAttempts++;
  const [user, password, , originator] = args;
  if (typeof user !== 'string') fail('FIELD_TYPE_ERROR', 'uname');
  if (typeof password !== 'string') fail('FIELD_TYPE_ERROR', 'pwd');
  if (Date.now() < host.bootingUntilMs) fail('HOST_STILL_BOOTING');
  const master = state.master();
  // A member never logs anyone in: it names the master (Xapi_session.login_with_password).
  if (master.ref !== host.ref) fail('HOST_IS_SLAVE', master.address);
  const role = state.sessions.authenticate(user, password);
  if (role === undefined) fail('SESSION_AUTHENTICATION_FAILED', user, 'Authentication failure');
  return state.sessions.open(user, role, typeof originator === 'string' ? originator : '').ref;
}

function sessionRecord(ctx: CallContext, s: Session): XRecord {
  return {
    uuid: s.uuid, this_host: ctx.state.master().ref, this_user: NULL_REF, last_active: xapiDate(new Date(s.lastActiveMs)),
    pool: false, other_config: {}, is_local_superuser: s.role === 'pool-admin', subject: NULL_REF,
    validation_time: xapiDate(new Date(s.createdMs)), auth_user_sid: '', auth_user_name: s.user, rbac_permissions: [],
    tasks: [], parent: NULL_REF, originator: s.originator,
  };
}

function powerHandler(op: PowerOp, isAsync: boolean): Handler {
  return async (ctx, _session, args) => {
    const { state } = ctx;
    const vm = refArg(ctx, 'VM', args[1]);
    const opts: { startPaused?: boolean; migrateTo?: string } = {};
    if (op === 'start' || op === 'resume') {
      opts.startPaused = boolArg(args[2], 'start_paused');
      boolArg(args[3], 'force');
    }
    if (op === 'pool_migrate') {
      opts.migrateTo = refArg(ctx, 'host', args[2]);
      if (!isMap(args[3] as Value)) fail('FIELD_TYPE_ERROR', 'options');
    }
    const task = createTask(state, `${isAsync ? 'Async.' : ''}VM.${op}`);
    let done: Promise<void>;
    try {
      done = runPowerOp(state, vm, op, opts, task);
    } catch (e) {
      const err = e instanceof XapiFailure ? e : new XapiFailure('INTERNAL_ERROR', [String(e)]);
      finishTask(state, task, err);
      if (isAsync) return task;
      state.db.remove('task', task);
      throw err;
    }
    if (isAsync) {
      done.catch(() => undefined);
      return task;
    }
    try {
      await done;
      return '';
    } finally {
      state.db.remove('task', task);
    }
  };
}

function buildStatic(): Map<string, MethodSpec> {
  const m = new Map<string, MethodSpec>();
  m.set('session.login_with_password', { arity: [2, 3, 4], session: false, fn: (ctx, _s, args) => login(ctx, args) });
  m.set('session.logout', { arity: [1], session: true, fn: (ctx, s) => { if (s !== undefined) ctx.state.sessions.close(s.ref); return ''; } });
  m.set('session.get_record', {
    arity: [2], session: true,
    fn: (ctx, s, args) => {
      if (s === undefined || args[1] !== s.ref) fail('HANDLE_INVALID', 'session', String(args[1]));
      return sessionRecord(ctx, s);
    },
  });
  m.set('session.get_this_host', { arity: [2], session: true, fn: (ctx) => ctx.state.master().ref });
  m.set('system.listMethods', { arity: [0], session: false, fn: (ctx) => listMethods(ctx) });
  m.set('host.get_server_certificate', {
    arity: [2], session: true,
    fn: (ctx, _s, args) => {
      const ref = refArg(ctx, 'host', args[1]);
      return ctx.state.hostByRef(ref)?.tls.cert ?? fail('HANDLE_INVALID', 'host', ref);
    },
  });
  m.set('event.inject', {
    arity: [3], session: true,
    fn: (ctx, _s, args) => {
      const cls = ctx.state.db.canonical(stringArg(args[1], 'class')) ?? fail('HANDLE_INVALID', String(args[1]), String(args[2]));
      const ref = refArg(ctx, cls, args[2]);
      const before = ctx.state.db.generation;
      ctx.state.db.touch(cls, ref);
      return formatToken(before);
    },
  });
  m.set('event.from', { arity: [4], session: true, fn: (ctx, s, args) => eventFrom(ctx, s ?? fail('SESSION_INVALID', ''), args[1], args[2], args[3]) });
  m.set('task.create', {
    arity: [3], session: true,
    fn: (ctx, _s, args) => createTask(ctx.state, stringArg(args[1], 'label'), stringArg(args[2], 'description')),
  });
  m.set('task.destroy', {
    arity: [2], session: true,
    fn: (ctx, _s, args) => {
      ctx.state.db.remove('task', refArg(ctx, 'task', args[1]));
      return '';
    },
  });
  m.set('task.cancel', {
    arity: [2], session: true,
    fn: (ctx, _s, args) => {
      const ref = refArg(ctx, 'task', args[1]);
      if (!cancelTask(ctx.state, ref)) fail('OPERATION_NOT_ALLOWED', 'The task cannot be cancelled');
      return '';
    },
  });
  for (const op of POWER_OPS) {
    m.set(`VM.${op}`, { arity: [POWER_ARITY[op]], session: true, role: 'vm-operator', fn: powerHandler(op, false) });
    m.set(`Async.VM.${op}`, { arity: [POWER_ARITY[op]], session: true, role: 'vm-operator', fn: powerHandler(op, true) });
  }
  return m;
}

const STATIC = buildStatic();

/** Generic per-class methods (`VM.get_record`, `host.get_address`, `pool.add_to_other_config`…). */
function classMethod(ctx: CallContext, method: string): MethodSpec | undefined {
  const dot = method.indexOf('.');
  if (dot <= 0) return undefined;
  const cls = method.slice(0, dot);
  const name = method.slice(dot + 1);
  const { db } = ctx.state;
  if (!db.classes().includes(cls)) return undefined;
  switch (name) {
    case 'get_all_records':
      return { arity: [1], session: true, fn: () => allRecords(ctx, cls) };
    case 'get_all':
      return { arity: [1], session: true, fn: () => [...db.rows(cls)].map((r) => r.ref) };
    case 'get_record':
      return { arity: [2], session: true, fn: (_c, _s, args) => db.get(cls, refArg(ctx, cls, args[1])) };
    case 'get_by_uuid':
      return {
        arity: [2], session: true,
        fn: (_c, _s, args) => db.byUuid(cls, stringArg(args[1], 'uuid')) ?? fail('UUID_INVALID', cls, String(args[1])),
      };
    case 'get_by_name_label':
      return {
        arity: [2], session: true,
        fn: (_c, _s, args) => {
          const label = stringArg(args[1], 'label');
          return [...db.rows(cls)].filter((r) => r.rec.name_label === label).map((r) => r.ref);
        },
      };
    case 'add_to_other_config':
      return {
        arity: [4], session: true, role: cls === 'pool' || cls === 'host' ? 'pool-operator' : 'vm-operator',
        fn: (_c, _s, args) => {
          const ref = refArg(ctx, cls, args[1]);
          const key = stringArg(args[2], 'key');
          const value = stringArg(args[3], 'value');
          const oc = { ...map(db.get(cls, ref), 'other_config') };
          if (key in oc) fail('MAP_DUPLICATE_KEY', cls, 'other_config', ref, key);
          oc[key] = value;
          db.modify(cls, ref, { other_config: oc });
          return '';
        },
      };
    case 'remove_from_other_config':
      return {
        arity: [3], session: true, role: cls === 'pool' || cls === 'host' ? 'pool-operator' : 'vm-operator',
        fn: (_c, _s, args) => {
          const ref = refArg(ctx, cls, args[1]);
          const key = stringArg(args[2], 'key');
          const oc = map(db.get(cls, ref), 'other_config');
          if (key in oc) db.modify(cls, ref, { other_config: Object.fromEntries(Object.entries(oc).filter(([k]) => k !== key)) });
          return '';
        },
      };
    default:
      break;
  }
  if (name.startsWith('get_')) {
    const field = name.slice(4);
    if (!fieldsOf(ctx, cls).has(field)) return undefined;
    return { arity: [2], session: true, fn: (_c, _s, args) => db.get(cls, refArg(ctx, cls, args[1]))?.[field] ?? fail('HANDLE_INVALID', cls, String(args[1])) };
  }
  return undefined;
}

const fieldCache = new WeakMap<PoolState, Map<string, Set<string>>>();

/** Field names of a class (from its records; fixed once the pool is loaded). */
function fieldsOf(ctx: CallContext, cls: string): Set<string> {
  let perState = fieldCache.get(ctx.state);
  if (perState === undefined) {
    perState = new Map();
    fieldCache.set(ctx.state, perState);
  }
  let set = perState.get(cls);
  if (set === undefined) {
    set = new Set(['uuid']);
    let n = 0;
    for (const row of ctx.state.db.rows(cls)) {
      for (const k of Object.keys(row.rec)) set.add(k);
      if (++n > 200) break;
    }
    if (cls === 'task') for (const k of ['name_label', 'status', 'progress', 'result', 'error_info', 'created', 'finished', 'resident_on']) set.add(k);
    if (n > 0 || cls === 'task') perState.set(cls, set);
  }
  return set;
}

function listMethods(ctx: CallContext): string[] {
  const out = new Set<string>(STATIC.keys());
  for (const cls of ctx.state.db.classes()) {
    for (const m of ['get_all_records', 'get_all', 'get_record', 'get_by_uuid', 'add_to_other_config', 'remove_from_other_config']) out.add(`${cls}.${m}`);
    const fields = fieldsOf(ctx, cls);
    if (fields.has('name_label')) out.add(`${cls}.get_by_name_label`);
    for (const f of fields) out.add(`${cls}.get_${f}`);
  }
  return [...out].sort();
}

/** Runs one call; rejects with XapiFailure. */
export async function dispatch(ctx: CallContext, method: string, params: unknown[]): Promise<unknown> {
  const spec = STATIC.get(method) ?? classMethod(ctx, method);
  if (spec === undefined) fail('MESSAGE_METHOD_UNKNOWN', method);
  if (!spec.arity.includes(params.length)) {
    fail('MESSAGE_PARAMETER_COUNT_MISMATCH', method, String(spec.arity[spec.arity.length - 1]), String(params.length));
  }
  let session: Session | undefined;
  if (spec.session) {
    session = ctx.state.sessions.use(params[0]);
    if (session === undefined) fail('SESSION_INVALID', typeof params[0] === 'string' ? params[0] : String(params[0]));
    // Why: read-only users may look but not act (xapi RBAC); the permission name is the call's.
    if (spec.role !== undefined && !roleAtLeast(session.role, spec.role)) {
      fail('RBAC_PERMISSION_DENIED', method.replace(/^Async\./, '').toLowerCase(), 'No permission in user session');
    }
  }
  return await spec.fn(ctx, session, params);
}

/** Used by `Simulator.act`: a power operation with no session, awaited to the end. */
export async function actDirect(state: PoolState, vmRef: string, op: PowerOp, migrateTo?: string): Promise<void> {
  const task = createTask(state, `VM.${op}`);
  try {
    await runPowerOp(state, vmRef, op, { startPaused: false, migrateTo }, task);
  } finally {
    state.db.remove('task', task);
  }
}

