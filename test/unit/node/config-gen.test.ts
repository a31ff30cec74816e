/** node config: fragments per version, and merges that keep the file and refuse what they cannot do safely. */
import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { configFragment, mergeConfig, MergeRefused, type MergeOptions } from '../../../src/node/config-gen.js';
import { ConfigParseError, isTable } from '../../../src/node/config-file.js';
import { parseRuntimeArg, type ConfigVersion } from '../../../src/node/containerd.js';

const W = [parseRuntimeArg('wasmtime')];
const WS = [parseRuntimeArg('wasmtime'), parseRuntimeArg('spin')];

function runtimeAt(text: string, plugin: string, name: string): unknown {
  let t: unknown = parse(text);
  for (const key of ['plugins', plugin, 'containerd', 'runtimes', name, 'runtime_type']) t = isTable(t) ? t[key] : undefined;
  return t;
}

describe('configFragment', () => {
  it.each([
    [1, 'cri', '[plugins.cri.containerd.runtimes.wasmtime]'],
    [2, 'io.containerd.grpc.v1.cri', '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime]'],
    [3, 'io.containerd.cri.v1.runtime', '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.wasmtime]'],
    [4, 'io.containerd.cri.v1.runtime', '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.wasmtime]'],
  ] as const)('version %i: plugins.%s', (v, plugin, header) => {
    const text = configFragment(v as ConfigVersion, WS);
    expect(text).toContain(header);
    expect(runtimeAt(text, plugin, 'wasmtime')).toBe('io.containerd.wasmtime.v1');
    expect(runtimeAt(text, plugin, 'spin')).toBe('io.containerd.spin.v2');
  });
});

interface MergeCase {
  name: string;
  text: string;
  opts?: MergeOptions;
  plugin: string;
}

const mergeCases: MergeCase[] = [
  {
    name: 'version 2, comments and odd spacing kept',
    text: '# my node\nversion = 2\n\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image   = "pause:3.9"  # pinned\n',
    plugin: 'io.containerd.grpc.v1.cri',
  },
  {
    name: 'version 3 with an existing runc',
    text: 'version = 3\n[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]\nruntime_type = "io.containerd.runc.v2"\n',
    plugin: 'io.containerd.cri.v1.runtime',
  },
  {
    name: 'version 4, no trailing newline',
    text: 'version = 4\n[plugins."io.containerd.cri.v1.runtime".containerd]\ndefault_runtime_name = "runc"',
    plugin: 'io.containerd.cri.v1.runtime',
  },
  {
    name: 'version 1 with --config-version 1 and no version key',
    text: '[plugins.cri.containerd]\nsnapshotter = "overlayfs"\n',
    opts: { configVersion: 1 },
    plugin: 'cri',
  },
  {
    name: 'runtimes written with dotted keys',
    text: 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\nruntimes.runc.runtime_type = "io.containerd.runc.v2"\n',
    plugin: 'io.containerd.grpc.v1.cri',
  },
  {
    name: 'CRLF line endings',
    text: 'version = 2\r\n[plugins."io.containerd.grpc.v1.cri"]\r\nenable_selinux = false\r\n',
    plugin: 'io.containerd.grpc.v1.cri',
  },
  { name: 'empty tables only', text: 'version = 2\n', plugin: 'io.containerd.grpc.v1.cri' },
];

describe('mergeConfig', () => {
  it.each(mergeCases)('$name: the file is kept byte for byte, the runtimes land at the effective path', ({ text, opts, plugin }) => {
    const r = mergeConfig(text, 'config.toml', WS, opts);
    expect(r.text.startsWith(text)).toBe(true);
    expect(r.added).toEqual(['wasmtime', 'spin']);
    expect(runtimeAt(r.text, plugin, 'wasmtime')).toBe('io.containerd.wasmtime.v1');
    expect(runtimeAt(r.text, plugin, 'spin')).toBe('io.containerd.spin.v2');
    if (text.includes('\r\n')) expect(r.text.slice(text.length)).not.toMatch(/[^\r]\n/);
    // merging again is a no-op
    const again = mergeConfig(r.text, 'config.toml', WS, opts);
    expect(again.text).toBe(r.text);
    expect(again.present).toEqual(['wasmtime', 'spin']);
  });

  it('adds only what is missing', () => {
    const text =
      'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime]\nruntime_type = "io.containerd.wasmtime.v1"\n';
    const r = mergeConfig(text, 'config.toml', WS);
    expect(r.added).toEqual(['spin']);
    expect(r.present).toEqual(['wasmtime']);
  });

  it('notes a copy under a path the version ignores, and still adds the right one', () => {
    const text =
      'version = 3\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime]\nruntime_type = "io.containerd.wasmtime.v1"\n';
    const r = mergeConfig(text, 'config.toml', W);
    expect(r.added).toEqual(['wasmtime']);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toContain('plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime');
  });

  it.each([
    ['no version key', 'a = 1\n', {}, /has no version key/],
    ['a version no release reads', 'version = 7\n', {}, /version = 7, which no containerd release reads/],
    ['a string version', 'version = "2"\n', {}, /version = "2"/],
    ['--config-version disagrees', 'version = 2\n', { configVersion: 3 }, /but --config-version says 3/],
    ['--containerd-version cannot read it', 'version = 3\n', { release: '1.7' }, /containerd 1.7 does not read/],
    [
      'the runtime exists with another type',
      'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime]\nruntime_type = "io.containerd.wasmtime.v2"\n',
      {},
      /already has .* with runtime_type "io.containerd.wasmtime.v2"/,
    ],
    [
      'the runtime exists with no type',
      'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime.options]\nBinaryName = "x"\n',
      {},
      /runtime_type \(none\)/,
    ],
    [
      'runtimes is an inline table',
      'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\nruntimes = { runc = { runtime_type = "io.containerd.runc.v2" } }\n',
      {},
      /would not be valid TOML/,
    ],
  ] as const)('refuses: %s', (_name, text, opts, message) => {
    expect(() => mergeConfig(text, 'config.toml', W, opts as MergeOptions)).toThrow(MergeRefused);
    expect(() => mergeConfig(text, 'config.toml', W, opts as MergeOptions)).toThrow(message);
  });

  it('refuses a file that is not TOML, naming the line', () => {
    expect(() => mergeConfig('version = 2\n[plugins\n', 'config.toml', W)).toThrow(ConfigParseError);
    expect(() => mergeConfig('version = 2\n[plugins\n', 'config.toml', W)).toThrow(/config.toml is not valid TOML \(line 2\)/);
  });
});

describe('parseRuntimeArg', () => {
  it('knows the common shims, and takes any type given explicitly', () => {
    expect(parseRuntimeArg('spin')).toEqual({ name: 'spin', runtimeType: 'io.containerd.spin.v2' });
    expect(parseRuntimeArg('my-wasm=io.containerd.mine.v3')).toEqual({ name: 'my-wasm', runtimeType: 'io.containerd.mine.v3' });
    expect(parseRuntimeArg('abs=/opt/shim/containerd-shim-x-v1')).toEqual({ name: 'abs', runtimeType: '/opt/shim/containerd-shim-x-v1' });
  });
  it.each(['Wasm', 'unknownshim', 'x=notatype', 'x=a..b', 'x="quoted"'])('refuses %s', (arg) => {
    expect(() => parseRuntimeArg(arg)).toThrow(/--runtime/);
  });
});
