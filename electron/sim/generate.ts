/**
 * Generates a realistic pool (`--hosts N --vms M`) as dump rows, so it goes through the same
 * `installRows` path as a real dump.
 *
 * Per host: a host row, host_metrics, a PIF, local storage (SR + PBD) and a control domain (dom0) with
 * an `rfb` console in the `?ref=` form and a `vt100` console, as `create_misc.ml` makes them. Pool-wide:
 * a network and a handful of templates. VMs: deterministic mix by index — about 60 % Running, 30 %
 * Halted, 10 % Suspended; two thirds HVM (one `rfb` console), one third PV (`rfb` + `vt100`); three
 * quarters of running VMs have guest metrics (os_version, networks with an IP); tags; VM_metrics for all.
 */
import type { DumpRow } from './dump';
import { NEVER, NULL_REF, newRef, newUuid, xapiDate, type XRecord } from './values';

/** Size of a generated pool. */
export interface GenerateOptions {
  hosts: number;
  vms: number;
}

const GIB = 1024 ** 3;

const OSES = [
  { name: 'Debian GNU/Linux 12 (bookworm)', distro: 'debian', major: '12', minor: '5' },
  { name: 'Microsoft Windows Server 2022 Standard|C:\\Windows|\\Device\\Harddisk0\\Partition2', distro: 'windows', major: '10', minor: '0' },
  { name: 'Ubuntu 22.04.4 LTS', distro: 'ubuntu', major: '22', minor: '04' },
  { name: 'Rocky Linux 9.3 (Blue Onyx)', distro: 'rocky', major: '9', minor: '3' },
  { name: 'Microsoft Windows 11 Pro|C:\\Windows|\\Device\\Harddisk0\\Partition3', distro: 'windows', major: '10', minor: '0' },
  { name: 'Alpine Linux v3.19', distro: 'alpine', major: '3', minor: '19' },
];
const DEFAULT_OS = { name: 'Linux', distro: 'linux', major: '0', minor: '0' };

const ROLES = ['web', 'db', 'cache', 'build', 'mail', 'dns', 'vpn', 'app'];
const TAG_SETS: string[][] = [['prod'], ['prod', 'web'], ['staging'], [], ['backup'], ['dev', 'team-a']];
const TEMPLATES = ['Debian Bookworm 12', 'Ubuntu Jammy Jellyfish 22.04', 'Windows Server 2022 (64-bit)', 'Windows 11', 'Rocky Linux 9', 'Other install media'];

function vmBase(uuid: string, name: string, description: string): XRecord {
  return {
    uuid, name_label: name, name_description: description, user_version: 1, is_a_template: false, is_default_template: false,
    is_a_snapshot: false, snapshot_of: NULL_REF, snapshots: [], snapshot_time: NEVER, is_control_domain: false,
    power_state: 'Halted', resident_on: NULL_REF, affinity: NULL_REF, scheduled_to_be_resident_on: NULL_REF,
    memory_overhead: 20 * 1024 * 1024, memory_target: 0, memory_static_max: 2 * GIB, memory_dynamic_max: 2 * GIB,
    memory_dynamic_min: 2 * GIB, memory_static_min: 512 * 1024 * 1024, VCPUs_params: {}, VCPUs_max: 2, VCPUs_at_startup: 2,
    actions_after_shutdown: 'destroy', actions_after_reboot: 'restart', actions_after_crash: 'restart',
    consoles: [], VIFs: [], VBDs: [], VUSBs: [], crash_dumps: [], VTPMs: [], PV_bootloader: '', PV_kernel: '', PV_ramdisk: '',
    PV_args: '', PV_bootloader_args: '', PV_legacy_args: '', HVM_boot_policy: '', HVM_boot_params: {}, HVM_shadow_multiplier: 1,
    platform: {}, PCI_bus: '', other_config: {}, domid: -1, domarch: '', last_boot_CPU_flags: {}, metrics: NULL_REF,
    guest_metrics: NULL_REF, last_booted_record: '', recommendations: '', xenstore_data: {}, ha_always_run: false,
    ha_restart_priority: '', tags: [], blocked_operations: {}, appliance: NULL_REF, start_delay: 0, shutdown_delay: 0, order: 0,
    bios_strings: {}, has_vendor_device: false, requires_reboot: false, reference_label: '', domain_type: 'pv',
    NVRAM: {}, current_operations: {}, allowed_operations: [],
  };
}

/** Rows of a generated pool (addresses are placeholders `10.0.0.N`, replaced by `installRows`). */
export function generatePool(opts: GenerateOptions): DumpRow[] {
  const nHosts = Math.max(1, Math.floor(opts.hosts));
  const nVms = Math.max(0, Math.floor(opts.vms));
  const rows: DumpRow[] = [];
  const add = (cls: string, rec: XRecord, ref = newRef()): string => {
    rows.push({ cls, ref, rec });
    return ref;
  };
  const now = xapiDate();
  const poolRef = newRef();
  const networkRef = newRef();
  const hostRefs: string[] = [];
  const hostAddress = (i: number): string => `10.0.${Math.floor((i + 1) / 250)}.${((i + 1) % 250) + 1}`;
  const pifs: string[] = [];
  for (let h = 0; h < nHosts; h++) {
    const hostRef = newRef();
    hostRefs.push(hostRef);
    const name = `xcp-host-${String(h + 1).padStart(2, '0')}`;
    const metrics = add('host_metrics', { uuid: newUuid(), memory_total: 256 * GIB, memory_free: 180 * GIB, live: true, last_updated: now, other_config: {} });
    const pif = add('PIF', { uuid: newUuid(), device: 'eth0', network: networkRef, host: hostRef, MAC: `00:16:3e:00:${(h >> 8).toString(16).padStart(2, '0')}:${(h & 255).toString(16).padStart(2, '0')}`, MTU: 1500, VLAN: -1, IP: hostAddress(h), netmask: '255.255.0.0', gateway: '10.0.0.1', management: true, currently_attached: true, ip_configuration_mode: 'Static', other_config: {} });
    pifs.push(pif);
    const sr = newRef();
    const pbd = add('PBD', { uuid: newUuid(), host: hostRef, SR: sr, device_config: { device: '/dev/sda3' }, currently_attached: true, other_config: {} });
    add('SR', { uuid: newUuid(), name_label: `Local storage on ${name}`, name_description: '', type: 'ext', content_type: 'user', shared: false, PBDs: [pbd], VDIs: [], physical_size: 2000 * GIB, physical_utilisation: 400 * GIB, virtual_allocation: 900 * GIB, other_config: {}, sm_config: {}, tags: [], allowed_operations: [], current_operations: {} }, sr);
    const dom0 = newRef();
    const rfb = newRef();
    const vt = newRef();
    const vtUuid = newUuid();
    add('console', { uuid: newUuid(), protocol: 'rfb', location: `https://${hostAddress(h)}/console?ref=${rfb}`, VM: dom0, other_config: {}, port: 5900 }, rfb);
    add('console', { uuid: vtUuid, protocol: 'vt100', location: `https://${hostAddress(h)}/console?uuid=${vtUuid}`, VM: dom0, other_config: {}, port: -1 }, vt);
    const dom0Metrics = add('VM_metrics', { uuid: newUuid(), memory_actual: 4 * GIB, VCPUs_number: 8, VCPUs_utilisation: { '0': 0.05 }, VCPUs_CPU: {}, VCPUs_params: {}, VCPUs_flags: {}, start_time: now, install_time: now, last_updated: now, state: [], other_config: {} });
    add('VM', {
      ...vmBase(newUuid(), `Control domain on host: ${name}`, 'The domain which manages physical devices and manages other domains'),
      is_control_domain: true, power_state: 'Running', resident_on: hostRef, affinity: hostRef, domid: 0, consoles: [rfb, vt],
      metrics: dom0Metrics, memory_static_max: 4 * GIB, memory_dynamic_max: 4 * GIB, memory_dynamic_min: 4 * GIB, VCPUs_max: 8, VCPUs_at_startup: 8,
    }, dom0);
    add('host', {
      uuid: newUuid(), name_label: name, name_description: 'Simulated host', hostname: name, address: hostAddress(h), enabled: true,
      metrics, control_domain: dom0, PIFs: [pif], PBDs: [pbd], resident_VMs: [dom0], host_CPUs: [], crashdumps: [], patches: [], updates: [],
      software_version: { product_brand: 'XCP-ng', product_version: '8.3.0', platform_name: 'XCP', platform_version: '3.4.0', xapi: '24.19', xen: '4.17.4', hostname: name },
      API_version_major: 2, API_version_minor: 21, API_version_vendor: 'XenSource', API_version_vendor_implementation: {},
      cpu_info: { cpu_count: '16', socket_count: '2', vendor: 'GenuineIntel', modelname: 'Intel(R) Xeon(R) Silver 4210', speed: '2200.000' },
      memory_overhead: 1 * GIB, capabilities: ['xen-3.0-x86_64', 'hvm-3.0-x86_64'], other_config: {}, tags: [], edition: 'xcp-ng',
      allowed_operations: ['vm_migrate', 'evacuate', 'provision', 'vm_resume', 'vm_start'], current_operations: {}, console_idle_timeout: 0,
      bios_strings: {}, license_params: {}, logging: {}, chipset_info: {}, external_auth_type: '', external_auth_service_name: '',
    }, hostRef);
  }
  add('network', { uuid: newUuid(), name_label: 'Pool-wide network associated with eth0', name_description: '', bridge: 'xenbr0', MTU: 1500, PIFs: pifs, VIFs: [], other_config: {}, tags: [], allowed_operations: [], current_operations: {} }, networkRef);
  for (const name of TEMPLATES) {
    add('VM', { ...vmBase(newUuid(), name, `Template for ${name}`), is_a_template: true, is_default_template: true, domain_type: name.startsWith('Windows') ? 'hvm' : 'pv', HVM_boot_policy: name.startsWith('Windows') ? 'BIOS order' : '' });
  }
  for (let i = 0; i < nVms; i++) {
    const os = OSES[i % OSES.length] ?? DEFAULT_OS;
    const hvm = i % 3 !== 2;
    const bucket = i % 10;
    const power = bucket < 6 ? 'Running' : bucket < 9 ? 'Halted' : 'Suspended';
    const hostIndex = i % nHosts;
    const hostRef = hostRefs[hostIndex] ?? NULL_REF;
    const vmRef = newRef();
    const name = `${ROLES[i % ROLES.length] ?? 'vm'}-${String(i + 1).padStart(String(nVms).length, '0')}`;
    // Field set of the dumps' VM_metrics rows; a halted domain reports 0 vCPUs and 0 memory, as there.
    const metrics = add('VM_metrics', { uuid: newUuid(), memory_actual: power === 'Running' ? 2 * GIB : 0, VCPUs_number: power === 'Running' ? 2 : 0, VCPUs_utilisation: power === 'Running' ? { '0': 0.12, '1': 0.08 } : { '0': 0 }, VCPUs_CPU: {}, VCPUs_params: {}, VCPUs_flags: {}, start_time: power === 'Running' ? now : NEVER, install_time: now, last_updated: now, state: [], other_config: {} });
    const consoles: string[] = [];
    if (power === 'Running') {
      for (const protocol of hvm ? ['rfb'] : ['rfb', 'vt100']) {
        const uuid = newUuid();
        consoles.push(add('console', { uuid, protocol, location: `https://${hostAddress(hostIndex)}/console?uuid=${uuid}`, VM: vmRef, other_config: {}, port: 0 }));
      }
    }
    let guestMetrics = NULL_REF;
    if (power === 'Running' && i % 4 !== 3) {
      const ip = `10.20.${Math.floor(i / 250) % 250}.${(i % 250) + 2}`;
      guestMetrics = add('VM_guest_metrics', {
        uuid: newUuid(), os_version: { name: os.name, distro: os.distro, major: os.major, minor: os.minor, uname: os.distro === 'windows' ? '' : '6.1.0-18-amd64' },
        PV_drivers_version: { major: '9', minor: '3', micro: '3', build: '11' }, PV_drivers_up_to_date: true,
        networks: { '0/ip': ip, '0/ipv4/0': ip }, disks: {}, memory: {}, other: { 'feature-shutdown': '1', 'feature-suspend': '1' },
        live: true, last_updated: now, other_config: {}, can_use_hotplug_vbd: 'yes', can_use_hotplug_vif: 'yes', PV_drivers_detected: true,
      });
    }
    add('VM', {
      ...vmBase(newUuid(), name, `${os.distro} ${ROLES[i % ROLES.length] ?? ''} server`),
      power_state: power, resident_on: power === 'Running' ? hostRef : NULL_REF, affinity: hostRef,
      domid: power === 'Running' ? i + 1 : -1, consoles, metrics, guest_metrics: guestMetrics,
      tags: TAG_SETS[i % TAG_SETS.length] ?? [], domain_type: hvm ? 'hvm' : 'pv', HVM_boot_policy: hvm ? 'BIOS order' : '',
      HVM_boot_params: hvm ? { order: 'cd' } : {}, PV_bootloader: hvm ? '' : 'pygrub', platform: hvm ? { viridian: 'true', acpi: '1', apic: 'true', pae: 'true', nx: 'true' } : {},
    }, vmRef);
  }
  add('pool', {
    uuid: newUuid(), name_label: 'Simulated pool', name_description: `${nHosts} hosts, ${nVms} VMs`, master: hostRefs[0] ?? NULL_REF,
    default_SR: NULL_REF, other_config: {}, tags: [], ha_enabled: false, limit_console_sessions: false, vm_console_idle_timeout: 0,
    gui_config: {}, allowed_operations: [], current_operations: {}, restrictions: {},
  }, poolRef);
  return rows;
}
