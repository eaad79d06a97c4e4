import { describe, expect, it } from 'vitest';
import { expectCreateRefusals, none } from './flag-cases.js';
import { serviceSpecFromFlags, updatedSpec, type ServiceFlags } from '../../../src/swarm/service-flags.js';
import { serviceSpecSchema } from '../../../src/swarm/store/index.js';


describe('service create flags -> spec', () => {
  it('maps Docker\'s flags and gives a spec the store accepts', () => {
    const spec = serviceSpecFromFlags(
      {
        ...none,
        name: 'web',
        replicas: '3',
        env: ['A=1'],
        constraint: ['node.role==worker', 'node.labels.zone != b'],
        placementPref: ['spread=node.labels.zone'],
        reserveCpu: '0.5',
        reserveMemory: '64M',
        limitMemory: '128m',
        restartCondition: 'on-failure',
        restartDelay: '2s',
        restartMaxAttempts: '3',
        updateParallelism: '2',
        updateFailureAction: 'rollback',
        updateOrder: 'start-first',
        healthCmd: 'wget -q localhost',
        healthInterval: '500ms',
        mount: ['type=bind,source=/srv,target=/data,readonly'],
        publish: ['8080:80', '53:53/udp'],
        stopGracePeriod: '3s',
        init: true,
      },
      'busybox:1',
      ['sleep', '100'],
    );
    expect(serviceSpecSchema.parse(spec)).toEqual(spec);
    expect(spec.mode).toEqual({ type: 'replicated', replicas: 3 });
    expect(spec.task.container.args).toEqual(['sleep', '100']);
    expect(spec.task.resources.reservations).toEqual({ nanoCPUs: 5e8, memoryBytes: 64 * 2 ** 20 });
    expect(spec.task.resources.limits.memoryBytes).toBe(128 * 2 ** 20);
    expect(spec.task.restartPolicy).toEqual({ condition: 'on-failure', delayMs: 2000, maxAttempts: 3, windowMs: 0 });
    expect(spec.task.placement.constraints).toEqual(['node.role==worker', 'node.labels.zone != b']);
    expect(spec.task.placement.preferences).toEqual([{ spread: 'node.labels.zone' }]);
    expect(spec.update).toEqual({ parallelism: 2, delayMs: 0, failureAction: 'rollback', monitorMs: 5000, maxFailureRatio: 0, order: 'start-first' });
    expect(spec.task.container.healthcheck).toEqual({ test: ['CMD-SHELL', 'wget -q localhost'], intervalMs: 500, timeoutMs: 30_000, retries: 3, startPeriodMs: 0 });
    expect(spec.task.container.mounts).toEqual([{ type: 'bind', source: '/srv', target: '/data', readOnly: true }]);
    expect(spec.endpoint.ports).toEqual([
      { name: '', protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'ingress', snat: false },
      { name: '', protocol: 'udp', targetPort: 53, publishedPort: 53, publishMode: 'ingress', snat: false },
    ]);
    expect(spec.task.container.stopGracePeriodMs).toBe(3000);
  });

  it('names a service after its image by default; global has no replicas', () => {
    expect(serviceSpecFromFlags(none, 'registry.local/team/app:2', []).name).toBe('registry.local_team_app');
    expect(serviceSpecFromFlags({ ...none, mode: 'global' }, 'img', []).mode).toEqual({ type: 'global' });
    expect(() => serviceSpecFromFlags({ ...none, mode: 'global', replicas: '2' }, 'img', [])).toThrow(/--replicas: only for replicated/);
  });

  it('refuses every bad value naming its flag, with exit code 2', () => {
    const cases: [Partial<ServiceFlags>, RegExp][] = [
      [{ replicas: 'three' }, /--replicas: invalid value "three"/],
      [{ mode: 'daemonset' }, /--mode: invalid value "daemonset": expected replicated \| global/],
      [{ constraint: ['zone=b'] }, /--constraint: invalid value "zone=b"/],
      [{ placementPref: ['spread=zone'] }, /--placement-pref/],
      [{ reserveMemory: 'lots' }, /--reserve-memory: invalid value "lots"/],
      [{ limitCpu: 'half' }, /--limit-cpu/],
      [{ restartDelay: '5 seconds' }, /--restart-delay/],
      [{ restartCondition: 'always' }, /--restart-condition/],
      [{ updateFailureAction: 'retry' }, /--update-failure-action/],
      [{ updateMaxFailureRatio: '2' }, /--update-max-failure-ratio/],
      [{ mount: ['type=bind,source=rel,target=/x'] }, /--mount.*source=\/absolute/],
      [{ mount: ['type=volume,source=v,target=rel'] }, /--mount.*target=\/absolute/],
      [{ publish: ['80:99999'] }, /--publish/],
      [{ publish: ['80/icmp'] }, /--publish protocol: invalid value "icmp"/],
      [{ publish: ['published=8080,target=80,proto=udp'] }, /--publish: .*unknown: proto/],
      [{ publish: ['target=80,mode=host,snat=true'] }, /--publish: snat=true applies to ingress mode only/],
      [{ publish: ['target=80,snat=yes'] }, /--publish snat: invalid value "yes": expected true \| false/],
      [{ publish: ['published=8080'] }, /--publish target/],
      [{ env: ['NOVALUE'] }, /--env: invalid value "NOVALUE"/],
      [{ healthInterval: '1s' }, /--health-cmd/],
      [{ name: '-bad' }, /--name/],
    ];
    expectCreateRefusals(cases);
  });
});

describe('service update flags', () => {
  it('change only what they name; --force bumps the counter; env add/rm', () => {
    const cur = serviceSpecFromFlags({ ...none, name: 'web', env: ['A=1', 'B=2'] }, 'img:1', []);
    const next = updatedSpec(cur, { image: 'img:2', envAdd: ['C=3', 'A=9'], envRm: ['B'], force: true, replicas: '5' });
    expect(next.task.container.image).toBe('img:2');
    expect(new Set(next.task.container.env)).toEqual(new Set(['A=9', 'C=3']));
    expect(next.task.forceUpdate).toBe(1);
    expect(next.mode).toEqual({ type: 'replicated', replicas: 5 });
    expect(cur.task.container.image).toBe('img:1');
    expect(updatedSpec(cur, { envAdd: [], envRm: [] })).toEqual(cur);
  });
});

describe('published ports: -p, --publish-add, --publish-rm', () => {
  it('-p takes the short form (no published: allocated), the long form and snat', () => {
    const spec = serviceSpecFromFlags({ ...none, publish: ['80', 'published=5353,target=53,protocol=udp,mode=host', 'published=8443,target=443,snat=true'] }, 'img', []);
    expect(spec.endpoint.ports).toEqual([
      { name: '', protocol: 'tcp', targetPort: 80, publishedPort: null, publishMode: 'ingress', snat: false },
      { name: '', protocol: 'udp', targetPort: 53, publishedPort: 5353, publishMode: 'host', snat: false },
      { name: '', protocol: 'tcp', targetPort: 443, publishedPort: 8443, publishMode: 'ingress', snat: true },
    ]);
  });

  it('--publish-rm removes by target port and protocol, then --publish-add adds, replacing the same published port and protocol', () => {
    const cur = serviceSpecFromFlags({ ...none, name: 'web', publish: ['8080:80', '53:53/udp', '9000:90'] }, 'img', []);
    const next = updatedSpec(cur, { envAdd: [], envRm: [], publishRm: ['53/udp'], publishAdd: ['8080:81', '7000:70/udp', '9000:90'] });
    expect(next.endpoint.ports.map((p) => `${p.publishedPort}:${p.targetPort}/${p.protocol}`)).toEqual(['9000:90/tcp', '8080:81/tcp', '7000:70/udp']);
    // Removing by target leaves other protocols alone.
    expect(updatedSpec(cur, { envAdd: [], envRm: [], publishRm: ['80'] }).endpoint.ports.map((p) => p.targetPort)).toEqual([53, 90]);
    // An allocated-port add is appended once, whatever the current ports.
    const twice = updatedSpec(updatedSpec(cur, { envAdd: [], envRm: [], publishAdd: ['3000'] }), { envAdd: [], envRm: [], publishAdd: ['3000'] });
    expect(twice.endpoint.ports.filter((p) => p.targetPort === 3000)).toHaveLength(1);
  });

  it('refuses a malformed or unknown value: nothing is sent', () => {
    const cur = serviceSpecFromFlags({ ...none, name: 'web', publish: ['8080:80'] }, 'img', []);
    const fail = (f: Partial<Parameters<typeof updatedSpec>[1]>): { message: string; exitCode: number } => {
      try {
        updatedSpec(cur, { envAdd: [], envRm: [], ...f });
      } catch (e) {
        return { message: (e as Error).message, exitCode: (e as { exitCode: number }).exitCode };
      }
      throw new Error('accepted');
    };
    expect(fail({ publishRm: ['80/tcpx'] })).toEqual({ message: '--publish-rm: invalid value "80/tcpx": expected TARGET[/PROTOCOL], the container port, e.g. 80 or 53/udp', exitCode: 2 });
    expect(fail({ publishRm: ['81'] })).toEqual({ message: '--publish-rm 81: service web publishes no port with target 81/tcp', exitCode: 1 });
    expect(fail({ publishAdd: ['x:80'] }).exitCode).toBe(2);
  });
});
