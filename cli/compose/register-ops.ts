/**
 * Declares the day-2 commands (logs, exec, attach, run, start, stop, restart, rm, kill, pause, unpause, top,
 * port, images, events, ls, wait, cp, pull, push, scale, volumes, commit, export, stats) with Compose v2's flags. Each action loads its file in
 * cli/compose/ops/ only when it runs, and goes through runCommand for exit codes.
 *
 * A command of the same name declared earlier on the program is replaced, so there is exactly one
 * definition of each whatever order the entry point registers things in.
 */
import { Command, Option } from 'commander';
import type { LifecycleAction } from '../../src/engine/ops/lifecycle.js';
import { runCommand } from '../run-command.js';
import type { GlobalOptions } from './global-options.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** The flags merged with the program's; typed per command by the callee. */
function flagsOf<T>(cmd: Command): T {
  return globalsOf(cmd) as unknown as T;
}

const run = (action: () => Promise<number | void>): Promise<never> => runCommand('tscompose', action);

// eslint-disable-next-line max-lines-per-function -- 220 lines of commander declarations, one block per command
export function registerOpsCommands(program: Command): void {
  // exec and run pass everything after SERVICE to the command, which commander allows only when
  // the program's own options must come before the subcommand (the entry point already says so).
  program.enablePositionalOptions();
  const declare = (name: string): Command => {
    const existing = program.commands.findIndex((c) => c.name() === name);
    if (existing >= 0) (program.commands as Command[]).splice(existing, 1);
    return program.command(name);
  };

  declare('logs')
    .description('View output from containers')
    .argument('[services...]', 'services to show (default: all)')
    .option('-f, --follow', 'Follow log output')
    .option('--index <n>', 'index of the container if service has multiple replicas')
    .option('--since <time>', 'Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
    .option('--until <time>', 'Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
    .option('--no-color', 'Produce monochrome output')
    .option('--no-log-prefix', "Don't print prefix in logs")
    .option('-t, --timestamps', 'Show timestamps')
    .option('-n, --tail <lines>', 'Number of lines to show from the end of the logs for each container', 'all')
    .action(async (services: string[], _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/logs.js')).logs(services, flagsOf(cmd)));
    });

  declare('exec')
    .description('Execute a command in a running container')
    .argument('<service>', 'service whose container runs the command')
    .argument('[command...]', 'command and arguments')
    .option('-d, --detach', 'Detached mode: Run command in the background')
    .option('-e, --env <KEY=VAL>', 'Set environment variables', collect, [])
    .option('--index <n>', 'Index of the container if service has multiple replicas')
    .option('--privileged', 'Give extended privileges to the process')
    .option('-u, --user <user>', 'Run the command as this user')
    .option('-T, --no-tty', "Disable pseudo-TTY allocation. By default 'tscompose exec' allocates a TTY.")
    .option('-w, --workdir <dir>', 'Path to workdir directory for this command')
    .addOption(new Option('-i, --interactive', 'Keep STDIN open even if not attached').hideHelp())
    .addOption(new Option('-t, --tty', 'Allocate a pseudo-TTY').hideHelp())
    .passThroughOptions()
    .action(async (service: string, command: string[], _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/exec.js')).exec(service, command, flagsOf(cmd)));
    });

  declare('attach')
    .description("Attach local standard input, output, and error streams to a service's running container")
    .argument('<service>', 'service whose container to attach to')
    .option('--index <n>', 'index of the container if service has multiple replicas')
    .option('--no-stdin', 'Do not attach STDIN')
    .option('--no-sig-proxy', 'Do not proxy all received signals to the process (without a TTY)')
    .option('--detach-keys <keys>', 'Override the key sequence for detaching from a container (default ctrl-p,ctrl-q)')
    .action(async (service: string, _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/attach.js')).attach(service, flagsOf(cmd)));
    });

  declare('run')
    .description('Run a one-off command on a service')
    .argument('<service>', 'service to run')
    .argument('[command...]', 'command and arguments (default: the service command)')
    .option('-d, --detach', 'Run container in background and print container ID')
    .option('-e, --env <KEY=VAL>', 'Set environment variables', collect, [])
    .option('--env-from-file <file>', 'Set environment variables from file', collect, [])
    .option('-l, --label <KEY=VAL>', 'Add or override a label', collect, [])
    .option('--rm', 'Automatically remove the container when it exits')
    .option('-T, --no-tty', 'Disable pseudo-TTY allocation (default: auto-detected)')
    .option('--name <name>', 'Assign a name to the container')
    .option('-u, --user <user>', 'Run as specified username or uid')
    .option('-w, --workdir <dir>', 'Working directory inside the container')
    .option('--entrypoint <cmd>', 'Override the entrypoint of the image')
    .option('--cap-add <cap>', 'Add Linux capabilities', collect, [])
    .option('--cap-drop <cap>', 'Drop Linux capabilities', collect, [])
    .option('--no-deps', "Don't start linked services")
    .option('-v, --volume <volume>', 'Bind mount a volume', collect, [])
    .option('-p, --publish <port>', "Publish a container's port(s) to the host", collect, [])
    .option('--use-aliases', "Use the service's network useAliases in the network(s) the container connects to")
    .option('-P, --service-ports', "Run command with all service's ports enabled and mapped to the host")
    .option('--pull <policy>', 'Pull image before running ("always"|"missing"|"never")', 'policy')
    .option('-q, --quiet', "Don't print anything to STDOUT")
    .option('--quiet-pull', 'Pull without printing progress information')
    .option('--build', 'Build image before starting container')
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('-i, --interactive', 'Keep STDIN open even if not attached', true)
    .addOption(new Option('--no-interactive', 'Do not attach STDIN').hideHelp())
    .addOption(new Option('-t, --tty', 'Allocate a pseudo-TTY').hideHelp())
    .passThroughOptions()
    .action(async (service: string, command: string[], _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/run.js')).run(service, command, flagsOf(cmd)));
    });

  const lifecycle = (name: LifecycleAction, description: string): Command =>
    declare(name)
      .description(description)
      .argument('[services...]', 'services (default: all)')
      .action(async (services: string[], _o: unknown, cmd: Command) => {
        await run(async () => (await import('./ops/lifecycle.js')).lifecycle(name, services, flagsOf(cmd)));
      });
  lifecycle('start', 'Start services')
    .option('--wait', 'Wait for services to be running|healthy. Implies detached mode.')
    .option('--wait-timeout <seconds>', 'Maximum duration in seconds to wait for the project to be running|healthy');
  lifecycle('stop', 'Stop services').option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds');
  lifecycle('restart', 'Restart service containers')
    .option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds')
    .option('--no-deps', "Don't restart dependent services");
  lifecycle('kill', 'Force stop service containers')
    .option('-s, --signal <signal>', 'SIGNAL to send to the container', 'SIGKILL')
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file', ['1', 'true'].includes((process.env.COMPOSE_REMOVE_ORPHANS ?? '').toLowerCase()));
  lifecycle('pause', 'Pause services');
  lifecycle('unpause', 'Unpause services');

  declare('rm')
    .description('Removes stopped service containers')
    .argument('[services...]', 'services (default: all)')
    .option('-f, --force', "Don't ask to confirm removal")
    .option('-s, --stop', 'Stop the containers, if required, before removing')
    .option('-v, --volumes', 'Remove any anonymous volumes attached to containers')
    .addOption(new Option('-a, --all', 'Deprecated - no effect').hideHelp())
    .action(async (services: string[], _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/rm.js')).rm(services, flagsOf(cmd)));
    });

  declare('top')
    .description('Display the running processes')
    .argument('[services...]', 'services (default: all)')
    .action(async (services: string[], _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/top.js')).top(services, globalsOf(cmd)));
    });

  declare('port')
    .description('Print the public port for a port binding')
    .argument('<service>', 'service')
    .argument('<private_port>', 'container port')
    .option('--protocol <protocol>', 'tcp or udp', 'tcp')
    .option('--index <n>', 'Index of the container if service has multiple replicas')
    .action(async (service: string, privatePort: string, _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/port.js')).port(service, privatePort, flagsOf(cmd)));
    });

  declare('images')
    .description('List images used by the created containers')
    .argument('[services...]', 'services (default: all)')
    .addOption(new Option('--format <format>', 'Format the output: table, json, or a Go template ("table {{.Name}}\\t{{.Status}}")').default('table'))
    .option('-q, --quiet', 'Only display IDs')
    .action(async (services: string[], _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/images.js')).images(services, flagsOf(cmd)));
    });

  declare('scale')
    .description('Scale services')
    .argument('[service=replicas...]', 'services and their new number of containers')
    .option('--no-deps', "Don't start linked services")
    .action(async (pairs: string[], _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/scale.js')).scale(pairs, flagsOf(cmd)));
    });

  declare('volumes')
    .description('List volumes')
    .argument('[services...]', 'only the volumes these services mount (default: all of the project)')
    .addOption(new Option('--format <format>', 'Format the output: table, json, or a Go template ("table {{.Name}}\\t{{.Status}}")').default('table'))
    .option('-q, --quiet', 'Only display volume names')
    .action(async (services: string[], _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/volumes.js')).volumes(services, flagsOf(cmd)));
    });

  declare('events')
    .description('Receive real time events from containers')
    .argument('[services...]', 'services (default: all)')
    .option('--json', 'Output events as a stream of json objects')
    .option('--since <time>', 'Show all events created since timestamp')
    .option('--until <time>', 'Stream events until this timestamp')
    .action(async (services: string[], _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/events.js')).events(services, flagsOf(cmd)));
    });

  declare('ls')
    .description('List running compose projects')
    .option('-a, --all', 'Show all stopped Compose projects')
    .addOption(new Option('--format <format>', 'Format the output: table, json, or a Go template ("table {{.Name}}\\t{{.Status}}")').default('table'))
    .option('-q, --quiet', 'Only display project names')
    .option('--filter <filter>', 'Filter output based on conditions provided (name=REGEX)', collect, [])
    .action(async (_o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/ls.js')).ls(flagsOf(cmd)));
    });

  declare('wait')
    .description('Block until containers of all (or specified) services stop.')
    .argument('<services...>', 'services to wait for')
    .option('--down-project', 'Drops project when the first container stops')
    .action(async (services: string[], _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/wait.js')).wait(services, flagsOf(cmd)));
    });

  declare('cp')
    .description('Copy files/folders between a service container and the local filesystem')
    .usage('[OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n       tscompose cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH')
    .argument('<source>', 'SERVICE:SRC_PATH, a local path, or - (a tar on stdin)')
    .argument('<destination>', 'a local path, - (a tar on stdout), or SERVICE:DEST_PATH')
    .option('--index <n>', 'Index of the container if service has multiple replicas')
    .option('--all', 'Include containers created by the run command')
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .action(async (source: string, destination: string, _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/cp.js')).cp(source, destination, flagsOf(cmd)));
    });

  declare('commit')
    .description("Create a new image from a service container's changes")
    .argument('<service>', 'service whose container is committed')
    .argument('[repository[:tag]]', 'name (and tag) for the new image (default: untagged)')
    .option('-a, --author <author>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    .option('-c, --change <instruction>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <message>', 'Commit message')
    // Docker writes `--pause=false`; commander's booleans take no value, so the negation is --no-pause.
    .option('-p, --pause', 'Pause container during commit', true)
    .option('--no-pause', 'Do not pause the container during commit')
    .option('--index <n>', 'index of the container if service has multiple replicas (default: the first)')
    .action(async (service: string, reference: string | undefined, _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/commit.js')).commit(service, reference, flagsOf(cmd)));
    });

  declare('export')
    .description("Export a service container's filesystem as a tar archive")
    .argument('<service>', 'service whose container is exported')
    .option('-o, --output <file>', 'Write to a file, instead of STDOUT (required when STDOUT is a terminal)')
    .option('--index <n>', 'index of the container if service has multiple replicas (default: the first)')
    .action(async (service: string, _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/export.js')).exportService(service, flagsOf(cmd)));
    });

  declare('stats')
    .description('Display a live stream of container(s) resource usage statistics')
    .argument('[services...]', 'services (default: all)')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .addOption(new Option('--format <format>', 'Format the output: table, json, or a Go template ("table {{.Name}}\\t{{.Status}}")').default('table'))
    .option('--no-stream', 'Disable streaming stats and only pull the first result')
    .option('--no-trunc', "Don't truncate output")
    .action(async (services: string[], _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/stats.js')).stats(services, flagsOf(cmd)));
    });

  declare('pull')
    .description('Pull service images')
    .argument('[services...]', 'services (default: all)')
    .option('-q, --quiet', 'Pull without printing progress information')
    .option('--include-deps', 'Also pull services declared as dependencies')
    .option('--ignore-pull-failures', 'Pull what it can and ignores images with pull failures')
    .option('--ignore-buildable', 'Ignore images that can be built')
    .option('--policy <policy>', 'Apply pull policy ("missing"|"always")')
    .action(async (services: string[], _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/pull.js')).pull(services, flagsOf(cmd)));
    });

  declare('push')
    .description('Push service images')
    .argument('[services...]', 'services (default: all)')
    .option('--ignore-push-failures', 'Push what it can and ignores images with push failures')
    .option('--include-deps', 'Also push images of services declared as dependencies')
    .option('-q, --quiet', 'Push without printing progress information')
    .action(async (services: string[], _o: unknown, cmd: Command) => {
      await run(async () => (await import('./ops/push.js')).push(services, flagsOf(cmd)));
    });
}
