import {
  createLocalStore,
  LocalProposer,
  MemoryStore,
  type ObjectBody,
  type TaskSpec,
} from '../../../src/swarm/store/index.js';

/** A clock that moves 1 s per reading, so timestamps are predictable. */
export function steppingClock(start = 1_700_000_000_000): () => number {
  let t = start;
  return () => (t += 1000);
}

export function newStore(opts: { maxChangesPerCommand?: number; maxCommandBytes?: number } = {}) {
  return createLocalStore({ now: steppingClock(), ...opts });
}

/** Two replicas fed by one in-process proposer; writes go through `a`. */
export function twoReplicas(): { a: MemoryStore; b: MemoryStore; proposer: LocalProposer } {
  const proposer = new LocalProposer();
  const now = steppingClock();
  const a = new MemoryStore({ proposer, now });
  const b = new MemoryStore({ proposer, now });
  proposer.attach(a).attach(b);
  return { a, b, proposer };
}

export function taskSpec(image = 'busybox'): TaskSpec {
  return {
    container: {
      image,
      command: [],
      args: ['sleep', '1000'],
      env: ['A=1'],
      workdir: '',
      user: '',
      hostname: '',
      labels: {},
      mounts: [],
      healthcheck: null,
      secrets: [],
      configs: [],
      stopGracePeriodMs: 10_000,
      init: false,
      dns: { nameservers: [], search: [], options: [] },
      hosts: [],
      groups: [],
    },
    resources: { limits: { nanoCPUs: 0, memoryBytes: 0 }, reservations: { nanoCPUs: 0, memoryBytes: 0 } },
    restartPolicy: { condition: 'any', delayMs: 5000, maxAttempts: 0, windowMs: 0 },
    placement: { constraints: [], preferences: [], maxReplicasPerNode: 0 },
    networks: [],
    forceUpdate: 0,
  };
}

export function service(id: string, name = id, replicas = 1): ObjectBody<'service'> {
  return {
    id,
    spec: {
      name,
      labels: {},
      mode: { type: 'replicated', replicas },
      task: taskSpec(),
      update: null,
      rollback: null,
      endpoint: { mode: 'vip', ports: [] },
      dependsOn: [],
    },
    previousSpec: null,
    updateStatus: null,
    endpoint: null,
    registryAuth: null,
    problem: null,
  };
}

export function task(id: string, serviceId: string, slot: number, nodeId: string | null = null): ObjectBody<'task'> {
  return {
    id,
    serviceId,
    slot,
    nodeId,
    desiredState: 'running',
    status: { state: 'new', timestamp: 0, message: 'created', err: null, exitCode: null, containerId: null, health: null },
    spec: taskSpec(),
    ports: [],
    serviceVersion: 1,
    networks: [],
  };
}

export function node(id: string, hostname = id): ObjectBody<'node'> {
  return {
    id,
    spec: { availability: 'active', role: 'worker', labels: {} },
    description: {
      hostname,
      platform: { os: 'linux', architecture: 'x86_64' },
      resources: { nanoCPUs: 2e9, memoryBytes: 4 * 2 ** 30 },
      engine: { id: `engine-${id}`, version: '20.10', labels: {} },
      networks: [],
    },
    status: { state: 'ready', addr: '10.0.0.1', message: '', lastHeartbeat: null, attachments: [] },
    managerStatus: null,
    certificate: { role: 'worker', state: 'issued', expiry: null },
  };
}

export function network(id: string, name = id): ObjectBody<'network'> {
  return {
    id,
    spec: {
      name,
      labels: {},
      driver: 'overlay',
      driverOptions: {},
      ipam: { configs: [{ subnet: '10.10.0.0/24', gateway: null, ipRange: null }] },
      internal: false,
      attachable: false,
      ingress: false,
    },
    allocation: null,
  };
}

export function secret(id: string, name = id): ObjectBody<'secret'> {
  return {
    id,
    spec: {
      name,
      labels: {},
      data: { alg: 'aes-256-gcm', keyId: 'dek-1', nonce: 'AAAAAAAAAAAAAAAA', ciphertext: 'c2VhbGVk' },
    },
  };
}

export function config(id: string, name = id): ObjectBody<'config'> {
  return { id, spec: { name, labels: {}, data: Buffer.from('hello').toString('base64') } };
}

export function cluster(id = 'c1'): ObjectBody<'cluster'> {
  return {
    id,
    spec: {
      name: 'default',
      labels: {},
      raft: { snapshotInterval: 10_000, keepOldSnapshots: 0, logEntriesForSlowFollowers: 500, heartbeatTick: 1, electionTick: 10 },
      dispatcher: { heartbeatPeriodMs: 5000 },
      ca: { nodeCertExpiryMs: 90 * 24 * 3600 * 1000 },
      orchestration: { taskHistoryRetentionLimit: 5 },
      networking: { defaultAddrPools: ['10.0.0.0/8'], subnetSize: 24, vxlanPort: 4789 },
    },
    rootCA: {
      certPem: '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n',
      key: { alg: 'aes-256-gcm', keyId: 'kek-1', nonce: 'AAAAAAAAAAAAAAAA', ciphertext: 'a2V5' },
      certDigest: '0'.repeat(50),
      joinTokens: { worker: 'SWMTKN-1-aaa-bbb', manager: 'SWMTKN-1-aaa-ccc' },
    },
  };
}

export const text = (b: Uint8Array): string => new TextDecoder().decode(b);
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * Holds proposals until `commitAll()`, like raft's window between propose and apply, so tests can
 * build several transactions from the same state and then let apply order decide between them.
 */
export class InFlightProposer {
  private index = 0;
  private readonly queue: { cmd: Uint8Array; resolve: (r: unknown) => void }[] = [];
  private readonly replicas: { apply(data: Uint8Array, index: number): unknown }[] = [];
  attach(r: { apply(data: Uint8Array, index: number): unknown }): this {
    this.replicas.push(r);
    return this;
  }
  propose(cmd: Uint8Array): Promise<unknown> {
    return new Promise((resolve) => this.queue.push({ cmd, resolve }));
  }
  get inFlight(): number {
    return this.queue.length;
  }
  /** Apply every queued proposal in proposal order. */
  commitAll(): void {
    this.commit(Infinity);
  }
  /** Apply the `n` oldest queued proposals. */
  commit(n: number): void {
    for (let q = n > 0 ? this.queue.shift() : undefined; q !== undefined; q = --n > 0 ? this.queue.shift() : undefined) {
      const index = ++this.index;
      let local: unknown;
      this.replicas.forEach((r, i) => {
        const res = r.apply(q.cmd, index);
        if (i === 0) local = res;
      });
      q.resolve(local);
    }
  }
}

export function inFlightStore(): { store: MemoryStore; proposer: InFlightProposer } {
  const proposer = new InFlightProposer();
  const store = new MemoryStore({ proposer, now: steppingClock() });
  proposer.attach(store);
  return { store, proposer };
}
