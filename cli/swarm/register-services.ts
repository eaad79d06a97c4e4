import { Option, type Command } from 'commander';
import { runCommand } from '../run-command.js';
import type { SwarmGlobals } from './local.js';

/** `tsswarm service ...` flags (Docker's names); actions load cli/swarm/services.ts lazily. */
export function registerServiceCommands(program: Command): void {
  const g = (cmd: Command): SwarmGlobals => cmd.optsWithGlobals() as SwarmGlobals;
  const svc = (): Promise<typeof import('./services.js')> => import('./services.js');
  const collect = (v: string, prev: string[]): string[] => [...prev, v];
  // Options after the image belong to the task's command (`service create IMG sh -c ...`), as in Docker.
  const service = program.command('service').description('manage services (on a manager)').enablePositionalOptions();

  const common = (c: Command): Command =>
    c
      .option('--health-cmd <cmd>', 'command run to check health')
      .option('--health-interval <dur>', 'time between checks')
      .option('--health-timeout <dur>', 'maximum time a check may run')
      .option('--health-retries <n>', 'consecutive failures to be unhealthy')
      .option('--health-start-period <dur>', 'grace period before failures count')
      .option('--no-healthcheck', 'disable the image\'s healthcheck')
      .option('--update-parallelism <n>', 'tasks updated at once (0 = all)')
      .option('--update-delay <dur>', 'delay between batches')
      .option('--update-failure-action <a>', 'pause | continue | rollback')
      .option('--update-order <o>', 'stop-first | start-first')
      .option('--update-monitor <dur>', 'watch each new task this long for failure')
      .option('--update-max-failure-ratio <r>', 'failures tolerated, 0..1')
      .option('--rollback-parallelism <n>', 'tasks rolled back at once')
      .option('--rollback-delay <dur>', 'delay between rollback batches')
      .option('--rollback-order <o>', 'stop-first | start-first')
      .option('--rollback-monitor <dur>', 'watch each rolled-back task this long')
      .option('--rollback-failure-action <a>', 'pause | continue (when a rolled-back task fails)')
      .option('--rollback-max-failure-ratio <r>', 'failures tolerated during a rollback, 0..1')
      .option('--reserve-cpu <n>', 'CPUs set aside on the node')
      .option('--reserve-memory <size>', 'memory set aside on the node')
      .option('--limit-cpu <n>', 'CPU limit')
      .option('--limit-memory <size>', 'memory limit')
      .option('-d, --detach', 'return at once instead of waiting for convergence')
      .option('-q, --quiet', 'no progress output')
      .option('--with-registry-auth', "send this client's credentials for the image's registry to the managers (kept sealed, given only to nodes running the service's tasks)")
      .addOption(new Option('--resolve-image <when>', 'ask the registry for the digest to pin the image to').choices(['always', 'changed', 'never']));

  common(
    service
      .command('create')
      .description('create a service')
      .passThroughOptions()
      .argument('<image>')
      .argument('[command...]')
      .option('--name <name>', 'service name')
      .option('--replicas <n>', 'number of tasks')
      .addOption(new Option('--mode <mode>', 'replicated | global'))
      .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collect, [])
      .option('-l, --label <KEY=VALUE>', 'service label (repeatable)', collect, [])
      .option('--container-label <KEY=VALUE>', 'container label (repeatable)', collect, [])
      .option('--constraint <expr>', 'placement constraint, e.g. node.role==worker (repeatable)', collect, [])
      .option('--placement-pref <pref>', 'spread=node.labels.KEY (repeatable)', collect, [])
      .option('--replicas-max-per-node <n>', 'tasks per node at most (0 = no limit)')
      .option('--restart-condition <c>', 'none | on-failure | any')
      .option('--restart-delay <dur>', 'delay between restarts')
      .option('--restart-max-attempts <n>', 'restarts before giving up (0 = no limit)')
      .option('--restart-window <dur>', 'window the attempts are counted in')
      .option('--mount <spec>', 'type=bind|volume|tmpfs,source=...,target=...[,readonly] (repeatable)', collect, [])
      .option('-p, --publish <spec>', 'publish a port: [PUBLISHED:]TARGET[/PROTO] or published=N,target=N,protocol=tcp|udp|sctp,mode=ingress|host,snat=true (repeatable; no published: the cluster picks one from 30000-32767)', collect, [])
      .option('--network <spec>', 'NAME or name=NAME,alias=ALIAS: an overlay network to join (repeatable)', collect, [])
      .option('--endpoint-mode <mode>', 'vip (a virtual IP, default) | dnsrr (DNS round robin over task IPs)')
      .option('--stop-grace-period <dur>', 'time to wait before killing a task')
      .option('--init', 'run an init inside the container')
      .option('-w, --workdir <dir>', 'working directory')
      .option('-u, --user <user>', 'user')
      .option('--hostname <name>', 'container hostname')
      .option('--entrypoint <cmd>', 'override the image entrypoint')
      .option('--dns <ip>', 'a nameserver for the task (repeatable; after the overlay resolver when on one)', collect, [])
      .option('--dns-option <opt>', 'a resolv.conf option, e.g. ndots:2 (repeatable)', collect, [])
      .option('--dns-search <domain>', 'a DNS search domain (repeatable)', collect, [])
      .option('--host <host:ip>', 'an /etc/hosts entry HOST:IP (repeatable)', collect, [])
      .option('--group <group>', 'a supplementary group of the task\'s process (repeatable)', collect, [])
      .option('--secret <spec>', 'NAME or source=NAME,target=T,uid=,gid=,mode= (repeatable)', collect, [])
      .option('--config <spec>', 'NAME or source=NAME,target=/path,mode= (repeatable)', collect, []),
  ).action(async (image: string, command: string[], o: Record<string, unknown>, cmd: Command) => {
    await runCommand('tsswarm', async () =>
      (await svc()).serviceCreateCommand(g(cmd), image, command, { ...(o as object), maxReplicas: o.replicasMaxPerNode, noHealthcheck: o.healthcheck === false } as Parameters<Awaited<ReturnType<typeof svc>>['serviceCreateCommand']>[3]),
    );
  });

  common(
    addRmOptions(service.command('update'))
      .description('update a service (a rolling update when the task spec changes)')
      .argument('<service>')
      .option('--image <image>', 'new image')
      .option('--replicas <n>', 'number of tasks')
      .option('--env-add <KEY=VALUE>', 'add or change a variable (repeatable)', collect, [])
      .option('--env-rm <KEY>', 'remove a variable (repeatable)', collect, [])
      .option('--network-add <spec>', 'join a network: NAME or name=NAME,alias=ALIAS (repeatable)', collect, [])
      .option('--network-rm <name>', 'leave a network (repeatable)', collect, [])
      .option('--publish-add <spec>', 'publish a port, as -p of service create; replaces a port with the same published port and protocol (repeatable)', collect, [])
      .option('--publish-rm <target>', 'stop publishing TARGET[/PROTO]: by the container (target) port, as Docker does (repeatable)', collect, [])
      .option('--force', 'replace every task even if nothing changed')
      .option('--rollback', 'roll back to the previous spec'),
  ).action(async (ref: string, o: Record<string, unknown>, cmd: Command) => {
    await runCommand('tsswarm', async () =>
      (await svc()).serviceUpdateCommand(g(cmd), ref, { ...(o as object), noHealthcheck: o.healthcheck === false } as Parameters<Awaited<ReturnType<typeof svc>>['serviceUpdateCommand']>[2]),
    );
  });

  service
    .command('rollback')
    .description('revert a service to its previous spec')
    .argument('<service>')
    .option('-d, --detach', 'return at once')
    .option('-q, --quiet', 'no progress output')
    .action(async (ref: string, o: { detach?: boolean; quiet?: boolean }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await svc()).serviceUpdateCommand(g(cmd), ref, { ...o, rollback: true, envAdd: [], envRm: [] }));
    });

  service
    .command('scale')
    .description('set replica counts: SERVICE=REPLICAS...')
    .argument('<service=replicas...>')
    .option('-d, --detach', 'return at once')
    .action(async (pairs: string[], o: { detach?: boolean }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await svc()).serviceScaleCommand(g(cmd), pairs, o));
    });

  service
    .command('ls')
    .description('list services')
    .option('-q, --quiet', 'only ids')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (o: { quiet?: boolean; format?: string }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await svc()).serviceLsCommand(g(cmd), o));
    });

  service
    .command('ps')
    .description('list the tasks of services')
    .argument('<service...>')
    .option('-a, --all', 'include finished tasks (history)')
    .option('-q, --quiet', 'only ids')
    .option('--no-trunc', 'do not truncate ids and errors')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (refs: string[], o: { all?: boolean; quiet?: boolean; format?: string; trunc?: boolean }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await svc()).servicePsCommand(g(cmd), refs, { ...o, noTrunc: o.trunc === false }));
    });

  service
    .command('logs')
    .description('logs of a service\'s tasks, read from the nodes running them')
    .argument('<service>')
    .option('-f, --follow', 'keep streaming')
    .option('-n, --tail <n>', 'lines from the end of each task\'s log (or all)', 'all')
    .option('-t, --timestamps', 'show timestamps')
    .option('--no-task-ids', 'name tasks without their ids')
    .option('--raw', 'no prefix')
    .action(async (ref: string, o: { follow?: boolean; tail?: string; timestamps?: boolean; taskIds?: boolean; raw?: boolean }, cmd: Command) => {
      await runCommand('tsswarm', async () => (await svc()).serviceLogsCommand(g(cmd), ref, o));
    });

  service
    .command('inspect')
    .description('show services as JSON')
    .argument('<service...>')
    .action(async (refs: string[], _o: unknown, cmd: Command) => {
      await runCommand('tsswarm', async () => (await svc()).serviceInspectCommand(g(cmd), refs));
    });

  registerFileCommands(program);

  service
    .command('rm')
    .description('remove services (their tasks stop)')
    .argument('<service...>')
    .action(async (refs: string[], _o: unknown, cmd: Command) => {
      await runCommand('tsswarm', async () => (await svc()).serviceRmCommand(g(cmd), refs));
    });
}

/** `service update`'s Docker add/rm pairs beyond env, network and publish (src/swarm/service-flags.ts applies them). */
function addRmOptions(c: Command): Command {
  const collect = (v: string, prev: string[]): string[] => [...prev, v];
  return c
    .option('--label-add <KEY=VALUE>', 'add or change a service label; no task is replaced (repeatable)', collect, [])
    .option('--label-rm <KEY>', 'remove a service label (repeatable)', collect, [])
    .option('--container-label-add <KEY=VALUE>', 'add or change a container label (repeatable)', collect, [])
    .option('--container-label-rm <KEY>', 'remove a container label (repeatable)', collect, [])
    .option('--mount-add <spec>', 'add a mount, as --mount; replaces one with the same target (repeatable)', collect, [])
    .option('--mount-rm <target>', 'remove the mount at TARGET (repeatable)', collect, [])
    .option('--secret-add <spec>', 'add a secret, as --secret; replaces one with the same target (repeatable)', collect, [])
    .option('--secret-rm <name>', 'remove a secret by name (repeatable)', collect, [])
    .option('--config-add <spec>', 'add a config, as --config; replaces one with the same target (repeatable)', collect, [])
    .option('--config-rm <name>', 'remove a config by name (repeatable)', collect, [])
    .option('--constraint-add <expr>', 'add a placement constraint (repeatable)', collect, [])
    .option('--constraint-rm <expr>', 'remove a placement constraint (repeatable)', collect, [])
    .option('--placement-pref-add <pref>', 'add spread=node.labels.KEY (repeatable)', collect, [])
    .option('--placement-pref-rm <pref>', 'remove spread=node.labels.KEY (repeatable)', collect, [])
    .option('--group-add <group>', 'add a supplementary group (repeatable)', collect, [])
    .option('--group-rm <group>', 'remove a supplementary group (repeatable)', collect, [])
    .option('--dns-add <ip>', 'add a nameserver (repeatable)', collect, [])
    .option('--dns-rm <ip>', 'remove a nameserver (repeatable)', collect, [])
    .option('--dns-option-add <opt>', 'add a resolver option (repeatable)', collect, [])
    .option('--dns-option-rm <opt>', 'remove a resolver option (repeatable)', collect, [])
    .option('--dns-search-add <domain>', 'add a search domain (repeatable)', collect, [])
    .option('--dns-search-rm <domain>', 'remove a search domain (repeatable)', collect, [])
    .option('--host-add <host:ip>', 'add an /etc/hosts entry HOST:IP (repeatable)', collect, [])
    .option('--host-rm <host[:ip]>', 'remove the entries of HOST, or only HOST:IP (repeatable)', collect, [])
    .option('--generic-resource-add <res>', 'not supported (refused: the spec has no generic resources)', collect, [])
    .option('--generic-resource-rm <res>', 'not supported (refused: the spec has no generic resources)', collect, [])
    .option('--args <command>', 'replace the task\'s command arguments (split like a shell)');
}

/** `tsswarm secret|config create|ls|inspect|rm`. */
function registerFileCommands(program: Command): void {
  const g = (cmd: Command): SwarmGlobals => cmd.optsWithGlobals() as SwarmGlobals;
  const collect = (v: string, prev: string[]): string[] => [...prev, v];
  for (const kind of ['secret', 'config'] as const) {
    const files = (): Promise<typeof import('./files.js')> => import('./files.js');
    const k = program.command(kind).description(`manage ${kind}s (on a manager)${kind === 'secret' ? '; values are sealed in the store and never shown' : ''}`);
    k.command('create')
      .description(`create a ${kind} from a file, or - for standard input`)
      .argument('<name>')
      .argument('<file>')
      .option('-l, --label <KEY=VALUE>', 'label (repeatable)', collect, [])
      .action(async (name: string, file: string, o: { label: string[] }, cmd: Command) => {
        await runCommand('tsswarm', async () => (await files()).fileCreateCommand(g(cmd), kind, name, file, o));
      });
    k.command('ls')
      .option('-q, --quiet', 'only ids')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
      .action(async (o: { quiet?: boolean; format?: string }, cmd: Command) => {
        await runCommand('tsswarm', async () => (await files()).fileLsCommand(g(cmd), kind, o));
      });
    k.command('inspect')
      .argument('<name...>')
      .action(async (refs: string[], _o: unknown, cmd: Command) => {
        await runCommand('tsswarm', async () => (await files()).fileInspectCommand(g(cmd), kind, refs));
      });
    k.command('rm')
      .argument('<name...>')
      .action(async (refs: string[], _o: unknown, cmd: Command) => {
        await runCommand('tsswarm', async () => (await files()).fileRmCommand(g(cmd), kind, refs));
      });
  }
}
