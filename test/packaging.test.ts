/**
 * Packaging checks that need no Electron runtime: electron-builder.yml against the JSON schema
 * electron-builder ships (app-builder-lib/scheme.json, with ajv as electron-builder configures it)
 * and through electron-builder's own validateConfiguration; the fuses electron-builder will flip
 * (computed by its own generateFuseConfig); the per-OS targets; the entitlements; and the icons
 * (decoded, and byte-identical to what build/make-icons.ts generates).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { Ajv } from 'ajv';
import { load } from 'js-yaml';
import { crc32, ICNS_TYPES, ICO_SIZES, makeIcons } from '../build/make-icons';

const root = join(import.meta.dirname, '..');
const builderRequire = createRequire(createRequire(import.meta.url).resolve('electron-builder'));
const schema = JSON.parse(readFileSync(builderRequire.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;

type Config = Record<string, unknown> & {
  linux: Record<string, unknown>;
  nsis: Record<string, unknown>;
  mac: Record<string, unknown>;
  electronFuses: Record<string, boolean>;
  files: string[];
  extraMetadata: Record<string, string>;
  directories: Record<string, string>;
};

function loadConfig(): Config {
  return load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Config;
}

// The options electron-builder uses (schemaValidator.js), minus coerceTypes: we want exact types.
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

function schemaErrors(config: unknown): string[] {
  return validate(config) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

test('electron-builder.yml matches the schema electron-builder ships', () => {
  assert.deepEqual(schemaErrors(loadConfig()), []);
});

test('the validator is live: typos and wrong types are caught', () => {
  const typo = { ...loadConfig(), nsis: { perMachin: false } };
  assert.ok(schemaErrors(typo).length > 0);
  const wrongType = { ...loadConfig(), electronFuses: { runAsNode: 'no' } };
  assert.ok(schemaErrors(wrongType).length > 0);
});

test("electron-builder's own validateConfiguration accepts it", async () => {
  const { validateConfiguration } = builderRequire('app-builder-lib/out/util/config/config.js') as {
    validateConfiguration: (config: unknown, debug: { isEnabled: boolean; add: () => void }) => Promise<void>;
  };
  await validateConfiguration(loadConfig(), { isEnabled: false, add: () => undefined });
  await assert.rejects(validateConfiguration({ ...loadConfig(), bogusKey: 1 }, { isEnabled: false, add: () => undefined }), /bogusKey/);
});

test('fuses: no RunAsNode, no NODE_OPTIONS, no --inspect, cookie encryption, asar integrity, asar only', async () => {
  const fuses = loadConfig().electronFuses;
  assert.deepEqual(fuses, {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableCookieEncryption: true,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  });
  // What electron-builder will actually write into the fuse wire (indices are Electron's FuseV1Options).
  const { LinuxPackager } = builderRequire('electron-builder') as { LinuxPackager: { prototype: { generateFuseConfig(f: unknown): Promise<Record<string, unknown>> } } };
  const wire = await LinuxPackager.prototype.generateFuseConfig.call({}, fuses);
  assert.deepEqual({ ...wire }, { version: '1', resetAdHocDarwinSignature: undefined, 0: false, 1: true, 2: false, 3: false, 4: true, 5: true, 7: false });
});

test('targets: AppImage/deb/rpm with categories, per-user NSIS, hardened dmg', () => {
  const c = loadConfig();
  assert.equal(c.appId, 'org.porthole.app');
  assert.equal(c.productName, 'Porthole');
  assert.equal(c.asar, true);
  assert.equal(c.directories.buildResources, 'build');
  assert.deepEqual(c.linux.target, ['AppImage', 'deb', 'rpm']);
  assert.equal(c.linux.category, 'System;Network;RemoteAccess');
  assert.deepEqual((c.win as { target: string[] }).target, ['nsis']);
  assert.equal(c.nsis.perMachine, false);
  assert.equal(c.nsis.allowElevation, false);
  assert.deepEqual((c.mac as { target: string[] }).target, ['dmg']);
  assert.equal(c.mac.hardenedRuntime, true);
  assert.equal(c.mac.entitlements, 'build/entitlements.mac.plist');
  assert.equal(c.mac.entitlementsInherit, 'build/entitlements.mac.plist');
});

test('the package holds built output only, and its entry is the bundled main', () => {
  const c = loadConfig();
  assert.deepEqual(c.files, ['dist/**/*', 'package.json', '!dist/**/*.map', '!dist/cli/**/*', '!**/*.ts', '!node_modules/**/*']);
  assert.equal(c.extraMetadata.main, 'dist/electron/main.mjs');
  assert.match(readFileSync(join(root, 'build', 'bundle.ts'), 'utf8'), /outfile: 'dist\/electron\/main\.mjs'/);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
  assert.equal(pkg.main, c.extraMetadata.main);
});

test('entitlements grant the V8 JIT and nothing else', () => {
  const plist = readFileSync(join(root, 'build', 'entitlements.mac.plist'), 'utf8');
  const keys = [...plist.matchAll(/<key>([^<]+)<\/key>\s*<true\/>/g)].map((m) => m[1]);
  assert.deepEqual(keys, ['com.apple.security.cs.allow-jit']);
  assert.match(plist, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<!DOCTYPE plist/);
});

/** Decodes an RGBA PNG far enough to check it: chunk CRCs, IHDR and the pixel data length. */
function decodePng(png: Buffer): { width: number; height: number; pixel(x: number, y: number): number[] } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let pos = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  for (;;) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('ascii', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    assert.equal(png.readUInt32BE(pos + 8 + len), crc32(png.subarray(pos + 4, pos + 8 + len)), `${type} CRC`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([...data.subarray(8)], [8, 6, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
    if (type === 'IEND') break;
  }
  assert.equal(pos, png.length);
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, (width * 4 + 1) * height);
  return { width, height, pixel: (x, y) => [...raw.subarray(y * (width * 4 + 1) + 1 + x * 4, y * (width * 4 + 1) + 5 + x * 4)] };
}

test('icons: committed files are what make-icons generates, and decode as a round porthole', () => {
  const generated = makeIcons();
  for (const [name, data] of generated) assert.ok(readFileSync(join(root, 'build', name)).equals(data), `build/${name} is stale: run npx tsx build/make-icons.ts`);

  const png = decodePng(generated.get('icon.png')!);
  assert.deepEqual([png.width, png.height], [512, 512]);
  assert.equal(png.pixel(0, 0)[3], 0, 'corner is transparent');
  assert.equal(png.pixel(256, 256)[3], 255, 'centre is opaque');
  const centre = png.pixel(256, 300);
  assert.ok(centre[2]! > centre[0]!, 'the glass is blue');

  const ico = generated.get('icon.ico')!;
  assert.deepEqual([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)], [0, 1, ICO_SIZES.length]);
  ICO_SIZES.forEach((size, k) => {
    const e = 6 + 16 * k;
    const img = decodePng(ico.subarray(ico.readUInt32LE(e + 12), ico.readUInt32LE(e + 12) + ico.readUInt32LE(e + 8)));
    assert.deepEqual([img.width, ico.readUInt8(e) || 256], [size, size]);
  });

  const icns = generated.get('icon.icns')!;
  assert.equal(icns.toString('ascii', 0, 4), 'icns');
  assert.equal(icns.readUInt32BE(4), icns.length);
  let pos = 8;
  for (const [type, size] of ICNS_TYPES) {
    assert.equal(icns.toString('ascii', pos, pos + 4), type);
    const len = icns.readUInt32BE(pos + 4);
    assert.equal(decodePng(icns.subarray(pos + 8, pos + len)).width, size, type);
    pos += len;
  }
  assert.equal(pos, icns.length);
});
