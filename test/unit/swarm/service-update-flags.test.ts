import { describe, expect, it } from 'vitest';
import { expectCreateRefusals, none } from './flag-cases.js';
import { parseFileRefFlag, serviceSpecFromFlags, updatedSpec, type ServiceFlags, type ServiceUpdateFlags } from '../../../src/swarm/service-flags.js';
import { taskContainerSpec } from '../../../src/swarm/agent/task-container.js';
import { serviceSpecSchema, type ServiceSpec, type TaskSpec } from '../../../src/swarm/store/index.js';
import { LIMITS } from '../../../src/swarm/store/objects/limits.js';
import { task } from './store-fixtures.js';

/** `service update`'s Docker add/rm flags: flags -> the change applied to a sample spec, and back onto a container. */

const noUpdate: ServiceUpdateFlags = { envAdd: [], envRm: [] };

function ref(id: string, name: string, target: string): TaskSpec['container']['secrets'][number] {
  return { id, name, target: { name: target, uid: '0', gid: '0', mode: 0o444 } };
}

/** A sample service with something in every field the flags touch. */
function sample(): ServiceSpec {
  const spec = serviceSpecFromFlags(
    {
      ...none,
      name: 'web',
      label: ['team=a', 'tier=front'],
      containerLabel: ['c=1', 'd=2'],
      constraint: ['node.role==worker', 'node.labels.zone != b'],
      placementPref: ['spread=node.labels.zone'],
      mount: ['type=tmpfs,target=/scratch', 'type=volume,source=data,target=/data'],
      dns: ['10.0.0.2', '10.0.0.3'],
      dnsOption: ['ndots:2'],
      dnsSearch: ['a.example'],
      host: ['db:10.0.0.5', 'db:10.0.0.6', 'cache:10.0.0.7'],
      group: ['100', 'audio'],
    },
    'img:1',
    ['sleep', '1'],
  );
  spec.task.container.secrets = [ref('s1', 'tok', 'tok'), ref('s2', 'key', 'key')];
  spec.task.container.configs = [ref('c1', 'conf', '/etc/app.conf')];
  return spec;
}

function refusal(f: Partial<ServiceUpdateFlags>, cur = sample()): { message: string; exitCode: number | undefined } {
  try {
    updatedSpec(cur, { ...noUpdate, ...f });
  } catch (e) {
    return { message: (e as Error).message, exitCode: (e as { exitCode?: number }).exitCode };
  }
  throw new Error(`accepted ${JSON.stringify(f)}`);
}

describe('service create: dns, hosts, groups', () => {
  it('are in the spec the store accepts, deduplicated, and reach the container', () => {
    const spec = sample();
    expect(serviceSpecSchema.parse(spec)).toEqual(spec);
    expect(spec.task.container.dns).toEqual({ nameservers: ['10.0.0.2', '10.0.0.3'], search: ['a.example'], options: ['ndots:2'] });
    expect(spec.task.container.hosts).toEqual(['db:10.0.0.5', 'db:10.0.0.6', 'cache:10.0.0.7']);
    expect(spec.task.container.groups).toEqual(['100', 'audio']);
    expect(serviceSpecFromFlags({ ...none, group: ['100', '100'], host: ['h:fd00::1'] }, 'img', []).task.container).toMatchObject({ groups: ['100'], hosts: ['h:fd00::1'] });

    const t = task('t1', 's1', 1, 'n1');
    t.spec = spec.task;
    const c = taskContainerSpec({ task: { ...t, meta: { version: 1, createdAt: 0, updatedAt: 0 } }, serviceName: 'web' }, 'n1');
    expect(c).toMatchObject({ dns: ['10.0.0.2', '10.0.0.3'], dnsOptions: ['ndots:2'], dnsSearch: ['a.example'], extraHosts: ['db:10.0.0.5', 'db:10.0.0.6', 'cache:10.0.0.7'], groupAdd: ['100', 'audio'] });
    expect(c.labels).toMatchObject({ c: '1', d: '2' });
    // Nothing set: nothing passed to the engine (its defaults stay).
    const bare = task('t2', 's1', 1, 'n1');
    const b = taskContainerSpec({ task: { ...bare, meta: { version: 1, createdAt: 0, updatedAt: 0 } }, serviceName: 'web' }, 'n1');
    for (const k of ['dns', 'dnsOptions', 'dnsSearch', 'extraHosts', 'groupAdd']) expect(b).not.toHaveProperty(k);
  });

  it('a spec stored before the fields existed still decodes, with them empty', () => {
    const old = structuredClone(sample()) as unknown as { task: { container: Record<string, unknown> } };
    delete old.task.container.dns;
    delete old.task.container.hosts;
    delete old.task.container.groups;
    expect(serviceSpecSchema.parse(old).task.container).toMatchObject({ dns: { nameservers: [], search: [], options: [] }, hosts: [], groups: [] });
  });

  it('refuses bad values naming the flag', () => {
    const cases: [Partial<ServiceFlags>, RegExp][] = [
      [{ dns: ['ns1'] }, /^--dns: invalid value "ns1": expected an IP address/],
      [{ dnsOption: ['nd ots'] }, /^--dns-option: invalid value "nd ots"/],
      [{ dnsSearch: ['-bad-.example'] }, /^--dns-search: invalid value/],
      [{ host: ['x'] }, /^--host: invalid value "x": expected HOST:IP/],
      [{ host: ['db:10.0.0.300'] }, /^--host: invalid value "db:10.0.0.300"/],
      [{ group: ['a b'] }, /^--group: invalid value "a b"/],
      [{ dns: Array.from({ length: LIMITS.dnsEntries + 1 }, (_, i) => `10.0.1.${i}`) }, /^--dns: 33 entries, at most 32/],
    ];
    expectCreateRefusals(cases);
  });
});

describe('service update: Docker\'s add/rm flags on the current spec', () => {
  it('--label-add/--label-rm change service labels only (no task spec change: no task is replaced)', () => {
    const cur = sample();
    const next = updatedSpec(cur, { ...noUpdate, labelRm: ['tier', 'absent'], labelAdd: ['team=b', 'new=1'] });
    expect(next.labels).toEqual({ team: 'b', new: '1' });
    expect(next.task).toEqual(cur.task);
  });

  it('--container-label-add/--container-label-rm', () => {
    const next = updatedSpec(sample(), { ...noUpdate, containerLabelRm: ['c', 'absent'], containerLabelAdd: ['d=3', 'e'] });
    expect(next.task.container.labels).toEqual({ d: '3', e: '' });
  });

  it('--mount-add replaces a mount with its target; --mount-rm TARGET removes (removals first)', () => {
    const next = updatedSpec(sample(), { ...noUpdate, mountRm: ['/scratch', '/absent'], mountAdd: ['type=bind,source=/srv,target=/data,readonly', 'type=tmpfs,target=/tmp2'] });
    expect(next.task.container.mounts).toEqual([
      { type: 'bind', source: '/srv', target: '/data', readOnly: true },
      { type: 'tmpfs', source: '', target: '/tmp2', readOnly: false },
    ]);
    // In both lists: removed, then added again.
    expect(updatedSpec(sample(), { ...noUpdate, mountRm: ['/x'], mountAdd: ['type=tmpfs,target=/x'] }).task.container.mounts.map((m) => m.target)).toEqual(['/scratch', '/data', '/x']);
  });

  it('--secret-add/--secret-rm NAME and --config-add/--config-rm NAME (an added target replaces)', () => {
    const next = updatedSpec(sample(), { ...noUpdate, secretRm: ['tok', 'absent'], secretAdd: [ref('s3', 'other', 'key'), ref('s4', 'new', 'new')], configRm: ['conf'], configAdd: [ref('c2', 'conf2', '/etc/b')] });
    expect(next.task.container.secrets.map((r) => `${r.name}->${r.target.name}`)).toEqual(['other->key', 'new->new']);
    expect(next.task.container.configs.map((r) => r.name)).toEqual(['conf2']);
    expect(parseFileRefFlag('--secret-add', 'source=tok,target=t,mode=0400')).toEqual({ source: 'tok', target: 't', uid: '0', gid: '0', mode: 0o400 });
    expect(() => parseFileRefFlag('--secret-add', 'target=t')).toThrow(/^--secret-add: invalid value "target=t"/);
  });

  it('--constraint-add/--constraint-rm (compared without spaces) and --placement-pref-add/--placement-pref-rm', () => {
    const next = updatedSpec(sample(), { ...noUpdate, constraintRm: ['node.labels.zone!=b'], constraintAdd: ['node.hostname==h1', 'node.role == worker'], placementPrefRm: ['spread=node.labels.zone'], placementPrefAdd: ['spread=node.labels.rack'] });
    expect(next.task.placement.constraints).toEqual(['node.role == worker', 'node.hostname==h1']);
    expect(next.task.placement.preferences).toEqual([{ spread: 'node.labels.rack' }]);
  });

  it('--group-add/--group-rm, --dns-add/--dns-rm, --dns-option-add/-rm, --dns-search-add/-rm (an existing value is not added twice)', () => {
    const next = updatedSpec(sample(), {
      ...noUpdate,
      groupRm: ['100'],
      groupAdd: ['audio', 'video'],
      dnsRm: ['10.0.0.2', '9.9.9.9'],
      dnsAdd: ['10.0.0.3', 'fd00::53'],
      dnsOptionRm: ['ndots:2'],
      dnsOptionAdd: ['rotate'],
      dnsSearchRm: ['a.example'],
      dnsSearchAdd: ['b.example'],
    });
    expect(next.task.container.groups).toEqual(['audio', 'video']);
    expect(next.task.container.dns).toEqual({ nameservers: ['10.0.0.3', 'fd00::53'], options: ['rotate'], search: ['b.example'] });
  });

  it('--host-rm HOST removes all its entries, HOST:IP only that one; --host-add appends', () => {
    const c = (f: Partial<ServiceUpdateFlags>): string[] => updatedSpec(sample(), { ...noUpdate, ...f }).task.container.hosts;
    expect(c({ hostRm: ['db'] })).toEqual(['cache:10.0.0.7']);
    expect(c({ hostRm: ['db:10.0.0.6'] })).toEqual(['db:10.0.0.5', 'cache:10.0.0.7']);
    expect(c({ hostRm: ['db'], hostAdd: ['db:10.0.0.9', 'cache:10.0.0.7'] })).toEqual(['cache:10.0.0.7', 'db:10.0.0.9']);
  });

  it('--args replaces the command arguments, split like a shell', () => {
    expect(updatedSpec(sample(), { ...noUpdate, args: `sh -c 'echo "a b"; sleep 1'` }).task.container.args).toEqual(['sh', '-c', 'echo "a b"; sleep 1']);
    expect(updatedSpec(sample(), { ...noUpdate, args: '' }).task.container.args).toEqual([]);
  });

  it('--rollback-* set the rollback config from Docker\'s defaults', () => {
    const next = updatedSpec(sample(), { ...noUpdate, rollbackDelay: '2s', rollbackFailureAction: 'continue', rollbackMaxFailureRatio: '0.5', rollbackMonitor: '1s', rollbackOrder: 'start-first', rollbackParallelism: '3' });
    expect(next.rollback).toEqual({ parallelism: 3, delayMs: 2000, failureAction: 'continue', monitorMs: 1000, maxFailureRatio: 0.5, order: 'start-first' });
    expect(next.update).toBeNull();
  });

  it('adding what is there and removing what is not changes nothing (the managers then say "nothing to change")', () => {
    const cur = sample();
    expect(
      updatedSpec(cur, {
        ...noUpdate,
        labelAdd: ['team=a'],
        labelRm: ['nope'],
        containerLabelAdd: ['c=1'],
        mountRm: ['/nope'],
        constraintAdd: ['node.role==worker'],
        groupAdd: ['100'],
        dnsAdd: ['10.0.0.2'],
        dnsSearchRm: ['nope.example'],
        hostAdd: ['db:10.0.0.5'],
        hostRm: ['nope'],
        secretRm: ['nope'],
        configRm: ['nope'],
      }),
    ).toEqual(cur);
  });

  it('refuses each bad value naming its flag, exit 2', () => {
    const cases: [Partial<ServiceUpdateFlags>, RegExp][] = [
      [{ labelAdd: ['=v'] }, /^--label-add: invalid value "=v": expected KEY=VALUE/],
      [{ labelRm: [''] }, /^--label-rm: invalid value ""/],
      [{ containerLabelAdd: ['=v'] }, /^--container-label-add: invalid value "=v"/],
      [{ containerLabelRm: [''] }, /^--container-label-rm: invalid value ""/],
      [{ mountAdd: ['type=tmpfs,target=rel'] }, /^--mount-add: invalid value "type=tmpfs,target=rel": expected target=\/absolute\/path/],
      [{ mountAdd: ['type=nfs,target=/x'] }, /^--mount-add type: invalid value "nfs"/],
      [{ mountAdd: ['type=tmpfs,target=/x', 'type=tmpfs,target=/x'] }, /^--mount-add: target \/x given twice/],
      [{ mountRm: [''] }, /^--mount-rm: invalid value ""/],
      [{ secretAdd: [ref('s1', 'a', 't'), ref('s2', 'b', 't')] }, /^--secret-add: target "t" given twice/],
      [{ configAdd: [ref('c1', 'a', '/t'), ref('c2', 'b', '/t')] }, /^--config-add: target "\/t" given twice/],
      [{ constraintAdd: ['zone=b'] }, /^--constraint-add: invalid value "zone=b"/],
      [{ constraintRm: [''] }, /^--constraint-rm: invalid value ""/],
      [{ placementPrefAdd: ['spread=zone'] }, /^--placement-pref-add: invalid value "spread=zone"/],
      [{ placementPrefRm: ['zone'] }, /^--placement-pref-rm: invalid value "zone"/],
      [{ groupAdd: ['a b'] }, /^--group-add: invalid value "a b"/],
      [{ groupRm: [''] }, /^--group-rm: invalid value ""/],
      [{ dnsAdd: ['ns1'] }, /^--dns-add: invalid value "ns1": expected an IP address/],
      [{ dnsRm: [''] }, /^--dns-rm: invalid value ""/],
      [{ dnsOptionAdd: ['a b'] }, /^--dns-option-add: invalid value "a b"/],
      [{ dnsOptionRm: [''] }, /^--dns-option-rm: invalid value ""/],
      [{ dnsSearchAdd: ['a..b'] }, /^--dns-search-add: invalid value "a..b"/],
      [{ dnsSearchRm: [''] }, /^--dns-search-rm: invalid value ""/],
      [{ hostAdd: ['x'] }, /^--host-add: invalid value "x": expected HOST:IP/],
      [{ hostAdd: ['db:nope'] }, /^--host-add: invalid value "db:nope"/],
      [{ hostRm: ['db:nope'] }, /^--host-rm: invalid value "db:nope": expected HOST or HOST:IP/],
      [{ genericResourceAdd: ['gpu=1'] }, /^--generic-resource-add: not supported/],
      [{ genericResourceRm: ['gpu'] }, /^--generic-resource-rm: not supported/],
      [{ args: "sh -c 'unterminated" }, /^--args: invalid value .*unterminated single quote/],
      [{ rollbackFailureAction: 'rollback' }, /^--rollback-failure-action: invalid value "rollback": expected pause \| continue/],
      [{ rollbackMaxFailureRatio: '1.5' }, /^--rollback-max-failure-ratio: invalid value "1.5"/],
      [{ rollbackDelay: 'soon' }, /^--rollback-delay: invalid value "soon"/],
      [{ rollbackMonitor: 'soon' }, /^--rollback-monitor: invalid value "soon"/],
      [{ rollbackOrder: 'any' }, /^--rollback-order: invalid value "any"/],
      [{ rollbackParallelism: '-1' }, /^--rollback-parallelism: invalid value "-1"/],
      // Bounds name the update's own flag.
      [{ hostAdd: Array.from({ length: LIMITS.hosts }, (_, i) => `h${i}:10.1.0.1`) }, /^--host-add: 259 entries, at most 256/],
      [{ labelAdd: [`k=${'x'.repeat(LIMITS.labelValueChars + 1)}`] }, /^--label-add: /],
      [{ args: Array.from({ length: LIMITS.argEntries + 1 }, () => 'a').join(' ') }, /^--args: 257 entries/],
    ];
    for (const [f, re] of cases) {
      const r = refusal(f);
      expect(r.message, JSON.stringify(f).slice(0, 200)).toMatch(re);
      expect(r.exitCode, JSON.stringify(f).slice(0, 200)).toBe(2);
    }
  });
});
