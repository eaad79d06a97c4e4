import Dockerode from 'dockerode';
import { PassThrough, Readable } from 'node:stream';
import { pack } from 'tar-fs';
import type { ContainerRuntime } from '../runtime.js';
import { RuntimeError } from '../errors.js';
import type {
  BuildSpec,
  CommitSpec,
  ContainerInfo,
  ContainerSpec,
  ContainerSummary,
  EndpointSpec,
  EngineStats,
  EngineVersion,
  EventOptions,
  ExecResult,
  ExecSession,
  ExecSpec,
  HealthState,
  ImageInfo,
  ImageProgress,
  LabelFilter,
  LogLine,
  LogOptions,
  NetworkInfo,
  NetworkSpec,
  RuntimeEvent,
  TopResult,
  VolumeInfo,
  VolumeSpec,
} from '../types.js';
import { resolveEndpoint, type EngineEndpoint } from './connection.js';
import { TcpEngineAgent, TlsEngineAgent, UnixSocketAgent } from './socket-agent.js';
import { answerLimitMs, ENGINE_TIMEOUT_ENV, limitsFor } from './engine-timeouts.js';
import { UserError } from '../../util/errors.js';
import { LineDemuxer, demuxAll } from './demux.js';
import { mapEngineError } from './errors.js';
import type { RegistryAuth } from '../../registry/credentials.js';
import { familiarName, parseReference } from '../../registry/reference.js';
import { fromImage, fromInspect, fromNetwork, fromSummary, fromVolume, labelFilters, toCreateOptions, toEndpoint } from './map.js';

/** The Docker engine implementation of {@link ContainerRuntime}, over dockerode. */
export class DockerRuntime implements ContainerRuntime {
  readonly endpoint: string;
  private readonly docker: Dockerode;

  constructor(endpoint: EngineEndpoint = resolveEndpoint(), env: Record<string, string | undefined> = process.env) {
    this.endpoint = endpoint.url;
    try {
      answerLimitMs(env);
    } catch (e) {
      throw new UserError((e as Error).message, { code: 'invalid', hint: `unset ${ENGINE_TIMEOUT_ENV} for the default (30 s), or give whole or decimal seconds` });
    }
    // Every request is timed by its kind (engine-timeouts.ts); the environment is read once here.
    const limits = (method: string, path: string) => limitsFor(method, path, env);
    const agent = endpoint.options.socketPath ? new UnixSocketAgent(limits) : endpoint.options.protocol === 'https' ? new TlsEngineAgent(limits) : new TcpEngineAgent(limits);
    // docker-modem passes `agent` on to every request; dockerode's types do not list it.
    this.docker = new Dockerode({ ...endpoint.options, agent } as Dockerode.DockerOptions);
  }

  /** Runs one engine call, turning its failure into a RuntimeError that names the call. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw mapEngineError(e, what, this.endpoint);
    }
  }

  async ping(): Promise<void> {
    await this.call('ping engine', () => this.docker.ping());
  }

  async version(): Promise<EngineVersion> {
    const v = await this.call('engine version', () => this.docker.version());
    return { version: v.Version, apiVersion: v.ApiVersion, os: v.Os, arch: v.Arch };
  }

  // ---- containers

  async listContainers(opts: { all?: boolean; labels?: LabelFilter; names?: string[] } = {}): Promise<ContainerSummary[]> {
    const filters: Record<string, string[]> = {};
    const label = labelFilters(opts.labels);
    if (label.length) filters.label = label;
    if (opts.names?.length) filters.name = opts.names.map((n) => `^/${n}$`);
    const list = await this.call('list containers', () => this.docker.listContainers({ all: opts.all ?? false, filters: JSON.stringify(filters) }));
    return list.map(fromSummary);
  }

  async inspectContainer(id: string): Promise<ContainerInfo> {
    return fromInspect(await this.call(`inspect container ${id}`, () => this.docker.getContainer(id).inspect()));
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const opts = toCreateOptions(spec);
    const c = await this.call(`create container ${spec.name}`, () => this.docker.createContainer(opts)).catch((e: unknown) => {
      if (e instanceof RuntimeError && e.kind === 'conflict') {
        throw new RuntimeError('conflict', `container name ${spec.name} is already in use by another container`, {
          hint: `remove or rename it (docker rm -f ${spec.name}), or run under another project name`,
          ...(e.statusCode !== undefined ? { statusCode: e.statusCode } : {}),
          cause: e,
        });
      }
      throw e;
    });
    // API 1.41 attaches one network at create; join the others before the first start.
    const first = opts.NetworkingConfig?.EndpointsConfig ? Object.keys(opts.NetworkingConfig.EndpointsConfig)[0] : undefined;
    const isNetworkMode = !spec.networkMode || !/^(host|none|bridge|container:|service:)/.test(spec.networkMode);
    if (isNetworkMode) {
      for (const [net, ep] of Object.entries(spec.networks ?? {})) {
        if (net === first) continue;
        await this.connectNetwork(net, c.id, ep);
      }
    }
    return c.id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call(`start container ${id}`, async () => {
      try {
        await this.docker.getContainer(id).start();
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 304) return; // already started
        throw e;
      }
    });
  }

  async stopContainer(id: string, opts: { timeout?: number } = {}): Promise<void> {
    await this.call(`stop container ${id}`, async () => {
      try {
        await this.docker.getContainer(id).stop(opts.timeout !== undefined ? { t: opts.timeout } : {});
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 304) return; // already stopped
        throw e;
      }
    });
  }

  async restartContainer(id: string, opts: { timeout?: number } = {}): Promise<void> {
    await this.call(`restart container ${id}`, () => this.docker.getContainer(id).restart(opts.timeout !== undefined ? { t: opts.timeout } : {}));
  }

  async killContainer(id: string, signal = 'SIGKILL'): Promise<void> {
    await this.call(`kill container ${id}`, () => this.docker.getContainer(id).kill({ signal }));
  }

  async pauseContainer(id: string): Promise<void> {
    await this.call(`pause container ${id}`, () => this.docker.getContainer(id).pause());
  }

  async unpauseContainer(id: string): Promise<void> {
    await this.call(`unpause container ${id}`, () => this.docker.getContainer(id).unpause());
  }

  async removeContainer(id: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    await this.call(`remove container ${id}`, () => this.docker.getContainer(id).remove({ force: opts.force ?? false, v: opts.volumes ?? false }));
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await this.call(`rename container ${id}`, () => this.docker.getContainer(id).rename({ name }));
  }

  async waitContainer(id: string, opts: { condition?: 'not-running' | 'next-exit' | 'removed'; signal?: AbortSignal } = {}): Promise<number> {
    const r = (await this.call(`wait for container ${id}`, () =>
      this.docker.getContainer(id).wait({ condition: opts.condition ?? 'not-running', ...(opts.signal ? { abortSignal: opts.signal } : {}) }),
    )) as { StatusCode: number };
    return r.StatusCode;
  }

  async topContainer(id: string, psArgs?: string): Promise<TopResult> {
    const r = (await this.call(`top ${id}`, () => this.docker.getContainer(id).top(psArgs ? { ps_args: psArgs } : {}))) as { Titles: string[]; Processes: string[][] };
    return { titles: r.Titles ?? [], processes: r.Processes ?? [] };
  }

  async health(id: string): Promise<HealthState | undefined> {
    return (await this.inspectContainer(id)).health;
  }

  async *logs(id: string, opts: LogOptions = {}): AsyncIterable<LogLine> {
    const info = await this.inspectContainer(id);
    const base = {
      stdout: true,
      stderr: true,
      timestamps: opts.timestamps ?? false,
      ...(typeof opts.tail === 'number' ? { tail: opts.tail } : {}),
      ...(opts.since !== undefined ? { since: opts.since } : {}),
      ...(opts.until !== undefined ? { until: opts.until } : {}),
      ...(opts.signal ? { abortSignal: opts.signal } : {}),
    };
    const container = this.docker.getContainer(id);
    const demux = new LineDemuxer(info.tty);
    if (!opts.follow) {
      const buf = await this.call(`logs ${id}`, () => container.logs({ ...base, follow: false }));
      yield* demux.push(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
      yield* demux.end();
      return;
    }
    const stream = await this.call(`logs ${id}`, () => container.logs({ ...base, follow: true }));
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) yield* demux.push(chunk);
    } catch (e) {
      if (!opts.signal?.aborted) throw mapEngineError(e, `logs ${id}`, this.endpoint);
    }
    yield* demux.end();
  }

  async attach(id: string, opts: { stdin: boolean; tty: boolean; detachKeys?: string }): Promise<ExecSession> {
    const container = this.docker.getContainer(id);
    const stream = await this.call(`attach ${id}`, () =>
      container.attach({
        stream: true,
        stdin: opts.stdin,
        stdout: true,
        stderr: true,
        hijack: opts.stdin,
        ...(opts.detachKeys !== undefined ? { detachKeys: opts.detachKeys } : {}),
      }),
    );
    return this.session(stream, opts.tty, opts.stdin, (r, c) => container.resize({ h: r, w: c }), () => this.waitContainer(id));
  }

  async getArchive(id: string, path: string): Promise<NodeJS.ReadableStream> {
    return this.call(`copy from ${id}:${path}`, () => this.docker.getContainer(id).getArchive({ path }));
  }

  async putArchive(id: string, path: string, tar: NodeJS.ReadableStream | Buffer, opts: { copyUidGid?: boolean } = {}): Promise<void> {
    await this.call(`copy to ${id}:${path}`, () => this.docker.getContainer(id).putArchive(tar, { path, ...(opts.copyUidGid ? { copyUIDGID: '1' } : {}) }));
  }

  async resizeContainer(id: string, rows: number, cols: number): Promise<void> {
    await this.call(`resize ${id}`, () => this.docker.getContainer(id).resize({ h: rows, w: cols }));
  }

  async commitContainer(id: string, spec: CommitSpec = {}): Promise<string> {
    const opts = {
      ...(spec.repo !== undefined ? { repo: spec.repo } : {}),
      ...(spec.tag !== undefined ? { tag: spec.tag } : {}),
      ...(spec.author !== undefined ? { author: spec.author } : {}),
      ...(spec.comment !== undefined ? { comment: spec.comment } : {}),
      // The engine reads `changes` as repeated query values; docker-modem repeats an array's items.
      ...(spec.changes?.length ? { changes: spec.changes } : {}),
      pause: spec.pause ?? true,
    };
    const r = (await this.call(`commit container ${id}`, () => this.docker.getContainer(id).commit(opts))) as { Id?: string; ID?: string };
    const image = r.Id ?? r.ID;
    if (!image) throw new RuntimeError('failed', `commit container ${id}: the engine answered without an image id`);
    return image;
  }

  async exportContainer(id: string): Promise<NodeJS.ReadableStream> {
    return this.call(`export container ${id}`, () => this.docker.getContainer(id).export());
  }

  async *stats(id: string, opts: { stream: boolean; signal?: AbortSignal }): AsyncIterable<EngineStats> {
    const what = `stats of container ${id}`;
    const container = this.docker.getContainer(id);
    if (!opts.stream) {
      const one = await this.call(what, () => container.stats({ stream: false, ...(opts.signal ? { abortSignal: opts.signal } : {}) }));
      yield one;
      return;
    }
    const stream = await this.call(what, () => container.stats({ stream: true, ...(opts.signal ? { abortSignal: opts.signal } : {}) }));
    yield* this.jsonLines<EngineStats>(stream, what, opts.signal);
  }

  // ---- exec

  private async createExec(id: string, spec: ExecSpec): Promise<Dockerode.Exec> {
    return this.call(`exec in ${id}`, () =>
      this.docker.getContainer(id).exec({
        Cmd: spec.cmd,
        Env: spec.env,
        WorkingDir: spec.workingDir,
        User: spec.user,
        Tty: spec.tty ?? false,
        Privileged: spec.privileged ?? false,
        AttachStdin: spec.stdin ?? false,
        AttachStdout: true,
        AttachStderr: true,
      }),
    );
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecResult> {
    const exec = await this.createExec(id, spec);
    const stream = await this.call(`exec in ${id}`, () => exec.start({ hijack: true, stdin: false, Tty: spec.tty ?? false }));
    const chunks: Buffer[] = [];
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
    const out = demuxAll(Buffer.concat(chunks), spec.tty ?? false);
    const info = await this.call(`exec in ${id}`, () => exec.inspect());
    return { exitCode: info.ExitCode ?? -1, ...out };
  }

  async execStream(id: string, spec: ExecSpec): Promise<ExecSession> {
    const exec = await this.createExec(id, spec);
    const stream = await this.call(`exec in ${id}`, () => exec.start({ hijack: true, stdin: spec.stdin ?? false, Tty: spec.tty ?? false }));
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    return this.session(stream, spec.tty ?? false, spec.stdin ?? false, (r, c) => exec.resize({ h: r, w: c }), async () => {
      await ended;
      const info = await this.call(`exec in ${id}`, () => exec.inspect());
      return info.ExitCode ?? -1;
    });
  }

  private session(
    stream: NodeJS.ReadWriteStream,
    tty: boolean,
    stdin: boolean,
    resize: (rows: number, cols: number) => Promise<unknown>,
    wait: () => Promise<number>,
  ): ExecSession {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    if (tty) stream.pipe(stdout);
    else {
      this.docker.modem.demuxStream(stream, stdout, stderr);
      stream.on('end', () => {
        stdout.end();
        stderr.end();
      });
    }
    return {
      stdout,
      stderr,
      ...(stdin ? { stdin: stream } : {}),
      resize: async (r, c) => {
        await resize(r, c).catch(() => undefined);
      },
      wait,
    };
  }

  // ---- networks

  async listNetworks(opts: { labels?: LabelFilter; names?: string[] } = {}): Promise<NetworkInfo[]> {
    const filters: Record<string, string[]> = {};
    const label = labelFilters(opts.labels);
    if (label.length) filters.label = label;
    if (opts.names?.length) filters.name = opts.names;
    const list = await this.call('list networks', () => this.docker.listNetworks({ filters: JSON.stringify(filters) }));
    const out = list.map(fromNetwork);
    // The engine's name filter matches substrings; keep exact names only.
    return opts.names?.length ? out.filter((n) => opts.names!.includes(n.name)) : out;
  }

  async inspectNetwork(idOrName: string): Promise<NetworkInfo> {
    return fromNetwork(await this.call(`inspect network ${idOrName}`, () => this.docker.getNetwork(idOrName).inspect()));
  }

  async createNetwork(spec: NetworkSpec): Promise<string> {
    const ipam = spec.ipam
      ? {
          Driver: spec.ipam.driver ?? 'default',
          Config: (spec.ipam.config ?? []).map((c) => ({
            ...(c.subnet ? { Subnet: c.subnet } : {}),
            ...(c.ipRange ? { IPRange: c.ipRange } : {}),
            ...(c.gateway ? { Gateway: c.gateway } : {}),
            ...(c.auxAddresses ? { AuxiliaryAddresses: c.auxAddresses } : {}),
          })),
          Options: spec.ipam.options ?? {},
        }
      : undefined;
    const n = await this.call(`create network ${spec.name}`, () =>
      this.docker.createNetwork({
        Name: spec.name,
        CheckDuplicate: true,
        Driver: spec.driver ?? 'bridge',
        Options: spec.driverOpts ?? {},
        Labels: spec.labels ?? {},
        Internal: spec.internal ?? false,
        Attachable: spec.attachable ?? false,
        EnableIPv6: spec.enableIpv6 ?? false,
        ...(ipam ? { IPAM: ipam } : {}),
      }),
    );
    return n.id;
  }

  async removeNetwork(idOrName: string): Promise<void> {
    await this.call(`remove network ${idOrName}`, () => this.docker.getNetwork(idOrName).remove());
  }

  async connectNetwork(network: string, container: string, endpoint: EndpointSpec = {}): Promise<void> {
    await this.call(`connect ${container} to network ${network}`, () =>
      this.docker.getNetwork(network).connect({ Container: container, EndpointConfig: toEndpoint(endpoint) }),
    );
  }

  async disconnectNetwork(network: string, container: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.call(`disconnect ${container} from network ${network}`, () =>
      this.docker.getNetwork(network).disconnect({ Container: container, Force: opts.force ?? false }),
    );
  }

  // ---- volumes

  async listVolumes(opts: { labels?: LabelFilter } = {}): Promise<VolumeInfo[]> {
    const label = labelFilters(opts.labels);
    const r = await this.call('list volumes', () => this.docker.listVolumes(label.length ? { filters: JSON.stringify({ label }) } : {}));
    return (r.Volumes ?? []).map(fromVolume);
  }

  async inspectVolume(name: string): Promise<VolumeInfo> {
    return fromVolume(await this.call(`inspect volume ${name}`, () => this.docker.getVolume(name).inspect()));
  }

  async createVolume(spec: VolumeSpec): Promise<VolumeInfo> {
    await this.call(`create volume ${spec.name}`, () =>
      this.docker.createVolume({ Name: spec.name, Driver: spec.driver ?? 'local', DriverOpts: spec.driverOpts ?? {}, Labels: spec.labels ?? {} }),
    );
    // dockerode resolves with a handle, not the engine's answer; callers want the real labels.
    return this.inspectVolume(spec.name);
  }

  async removeVolume(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.call(`remove volume ${name}`, () => this.docker.getVolume(name).remove({ force: opts.force ?? false }));
  }

  // ---- images

  async listImages(opts: { labels?: LabelFilter; reference?: string } = {}): Promise<ImageInfo[]> {
    const filters: Record<string, string[]> = {};
    const label = labelFilters(opts.labels);
    if (label.length) filters.label = label;
    if (opts.reference) filters.reference = [opts.reference];
    const list = await this.call('list images', () => this.docker.listImages({ filters: JSON.stringify(filters) }));
    return list.map(fromImage);
  }

  async inspectImage(ref: string): Promise<ImageInfo> {
    const i = await this.call(`inspect image ${ref}`, () => this.docker.getImage(ref).inspect());
    const volumes = Object.keys((i.Config as { Volumes?: Record<string, unknown> | null } | undefined)?.Volumes ?? {});
    const tagged = Date.parse((i as { Metadata?: { LastTagTime?: string } }).Metadata?.LastTagTime ?? '');
    const info = fromImage({ Id: i.Id, RepoTags: i.RepoTags, Labels: i.Config?.Labels ?? null, Created: i.Created, Size: i.Size });
    return { ...info, volumes, repoDigests: i.RepoDigests ?? [], ...(Number.isFinite(tagged) && tagged > 0 ? { lastTagTime: tagged } : {}) };
  }

  async pullImage(ref: string, onProgress?: (p: ImageProgress) => void, auth?: RegistryAuth): Promise<void> {
    const what = `pull image ${ref}`;
    // dockerode splits name, tag (latest when none) and digest for the engine's fromImage/tag.
    const stream = await this.call(what, () => this.docker.pull(ref, auth ? { authconfig: auth } : {}));
    await this.follow(stream, what, onProgress);
  }

  async pushImage(ref: string, onProgress?: (p: ImageProgress) => void, auth?: RegistryAuth): Promise<void> {
    const what = `push image ${ref}`;
    const r = parseReference(ref);
    if (r.digest !== undefined) throw new RuntimeError('invalid', `${what}: an image is pushed by tag, not by digest`, { hint: 'name the tag to push, e.g. registry/app:1.0' });
    // Without a tag the engine would push every local tag of the repository; Docker's CLI pushes
    // `latest` there, and so do we.
    const tag = r.tag ?? 'latest';
    const name = familiarName(r);
    // The engine refuses a push without an X-Registry-Auth header ("missing X-Registry-Auth"):
    // anonymous is an empty one.
    const stream = await this.call(what, () => this.docker.getImage(name).push({ tag, authconfig: auth ?? {} }));
    await this.follow(stream, what, onProgress);
  }

  async resolveDigest(ref: string, auth?: RegistryAuth): Promise<string> {
    const info = await this.call(`resolve digest of ${ref}`, () => this.docker.getImage(ref).distribution({ authconfig: auth ?? {} }));
    const digest = (info as { Descriptor?: { digest?: unknown } }).Descriptor?.digest;
    if (typeof digest !== 'string') throw new RuntimeError('failed', `resolve digest of ${ref}: the engine answered without a digest`);
    return digest;
  }

  async buildImage(spec: BuildSpec, onProgress?: (p: ImageProgress) => void): Promise<string> {
    const what = `build image ${spec.tags[0] ?? spec.context}`;
    let dockerfile = spec.dockerfile ?? 'Dockerfile';
    const tar = pack(spec.context, spec.dockerfileInline !== undefined ? { finalize: false } : {});
    if (spec.dockerfileInline !== undefined) {
      // An inline Dockerfile travels inside the context under a name the user's files cannot take.
      dockerfile = '.tscompose.Dockerfile.inline';
      tar.entry({ name: dockerfile }, spec.dockerfileInline);
      tar.finalize();
    }
    const stream = await this.call(what, () =>
      this.docker.buildImage(tar as unknown as NodeJS.ReadableStream, {
        t: spec.tags,
        dockerfile,
        ...(spec.args ? { buildargs: spec.args } : {}),
        ...(spec.target ? { target: spec.target } : {}),
        ...(spec.labels ? { labels: spec.labels } : {}),
        ...(spec.cacheFrom?.length ? { cachefrom: JSON.stringify(spec.cacheFrom) } : {}),
        ...(spec.noCache ? { nocache: true } : {}),
        ...(spec.pull ? { pull: 'true' } : {}),
        ...(spec.network ? { networkmode: spec.network } : {}),
        ...(spec.extraHosts?.length ? { extrahosts: spec.extraHosts.join(',') } : {}),
        ...(spec.shmSize ? { shmsize: spec.shmSize } : {}),
        rm: true,
        forcerm: true,
      } as unknown as Dockerode.ImageBuildOptions),
    );
    let id: string | undefined;
    await this.follow(stream, what, (p) => {
      const aux = (p as { aux?: { ID?: string } }).aux;
      if (aux?.ID) id = aux.ID;
      onProgress?.(p);
    });
    if (!id) id = (await this.inspectImage(spec.tags[0] ?? '')).id;
    return id;
  }

  /**
   * Reads a JSON-lines progress stream; an `error` line becomes a RuntimeError. Pull and push
   * answer HTTP 200 and then report most failures (denied, untrusted certificate) in the stream.
   */
  private follow(stream: NodeJS.ReadableStream, what: string, onProgress?: (p: ImageProgress) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let failure: string | undefined;
      this.docker.modem.followProgress(
        stream,
        (err) => {
          if (err) reject(mapEngineError(err, what, this.endpoint));
          else if (failure) {
            const kind = /not found|does not exist|pull access denied|manifest unknown/i.test(failure) ? 'not-found' : 'failed';
            reject(new RuntimeError(kind, `${what}: ${failure}`, { engineMessage: failure }));
          }
          else resolve();
        },
        (p: ImageProgress & { error?: string; errorDetail?: { message?: string } }) => {
          if (p.error) failure = (p.errorDetail?.message ?? p.error).trim();
          else onProgress?.(p);
        },
      );
    });
  }

  async removeImage(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.call(`remove image ${ref}`, () => this.docker.getImage(ref).remove({ force: opts.force ?? false }));
  }

  async tagImage(ref: string, repo: string, tag: string): Promise<void> {
    await this.call(`tag image ${ref}`, () => this.docker.getImage(ref).tag({ repo, tag }));
  }

  // ---- events

  async *events(opts: EventOptions = {}): AsyncIterable<RuntimeEvent> {
    const filters: Record<string, string[]> = {};
    const label = labelFilters(opts.labels);
    if (label.length) filters.label = label;
    if (opts.types?.length) filters.type = opts.types;
    const stream = await this.call('events', () =>
      this.docker.getEvents({
        filters: JSON.stringify(filters),
        ...(opts.since !== undefined ? { since: opts.since } : {}),
        ...(opts.until !== undefined ? { until: opts.until } : {}),
        ...(opts.signal ? { abortSignal: opts.signal } : {}),
      } as Dockerode.GetEventsOptions),
    );
    type EngineEvent = { Type: string; Action: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; timeNano: number };
    for await (const e of this.jsonLines<EngineEvent>(stream, 'events', opts.signal)) {
      yield { type: e.Type, action: e.Action, id: e.Actor?.ID ?? '', attributes: e.Actor?.Attributes ?? {}, timeNano: e.timeNano };
    }
  }

  /**
   * One object per line of an engine stream (events, stats) until it ends or `signal` aborts it;
   * a break that is not our abort is the engine's error.
   */
  private async *jsonLines<T>(stream: NodeJS.ReadableStream, what: string, signal?: AbortSignal): AsyncIterable<T> {
    if (signal) signal.addEventListener('abort', () => (stream as unknown as Readable).destroy?.(), { once: true });
    let partial = '';
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) yield JSON.parse(line) as T;
      }
    } catch (e) {
      if (!signal?.aborted) throw mapEngineError(e, what, this.endpoint);
    }
  }
}
