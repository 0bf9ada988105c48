/**
 * Simulator at scale: a generated 64-host, 10,000-VM pool. Prints how long start-up,
 * `VM.get_all_records` (JSON-RPC and XML-RPC) and one `event.from` round trip take. Figures only.
 */
import { request } from 'undici';
import { startSimulator } from '../../electron/sim';
import { jsonRpc, login, simDispatcher } from '../sim/support';

const HOSTS = 64;
const VMS = 10_000;

function ms(since: bigint): string {
  return `${(Number(process.hrtime.bigint() - since) / 1e6).toFixed(1)} ms`;
}

/** Runs the bench. */
export async function run(): Promise<void> {
  let t = process.hrtime.bigint();
  const sim = await startSimulator({ hosts: HOSTS, vms: VMS, powerOpMs: 200 });
  process.stdout.write(`start-up (${HOSTS} hosts, ${VMS} VMs): ${ms(t)}\n`);
  try {
    const session = await login(sim);
    t = process.hrtime.bigint();
    const records = await jsonRpc(sim, 'VM.get_all_records', [session]);
    const n = records.ok ? Object.keys(records.result as object).length : 0;
    process.stdout.write(`VM.get_all_records JSON-RPC (${n} records): ${ms(t)}\n`);
    t = process.hrtime.bigint();
    const res = await request(new URL('/xmlrpc', sim.masterUrl), {
      method: 'POST', dispatcher: simDispatcher(sim), headers: { 'content-type': 'text/xml' },
      body: `<methodCall><methodName>VM.get_all_records</methodName><params><param><value>${session}</value></param></params></methodCall>`,
    });
    const xml = await res.body.text();
    process.stdout.write(`VM.get_all_records XML-RPC (${(xml.length / 1e6).toFixed(1)} MB): ${ms(t)}\n`);
    const pools = await jsonRpc(sim, 'pool.get_all', [session]);
    const poolRef = pools.ok ? (pools.result as string[])[0] ?? '' : '';
    const token = await jsonRpc(sim, 'event.inject', [session, 'pool', poolRef]);
    const vm = sim.vm('web-00001');
    t = process.hrtime.bigint();
    const waiting = jsonRpc(sim, 'event.from', [session, ['vm'], token.ok ? token.result : '', 30]);
    await jsonRpc(sim, 'VM.add_to_other_config', [session, vm.ref, 'bench', String(Date.now())]);
    const events = await waiting;
    process.stdout.write(`event.from round trip (change → event): ${ms(t)} (${events.ok ? (events.result as { events: unknown[] }).events.length : 0} events)\n`);
    t = process.hrtime.bigint();
    await jsonRpc(sim, 'event.from', [session, ['vm'], '', 0]);
    process.stdout.write(`event.from token "" (all VMs as add): ${ms(t)}\n`);
  } finally {
    await sim.stop();
  }
}
