#!/usr/bin/env node
/**
 * The engine floor for bench:engine: the same containers and network tscompose creates, by direct
 * parallel dockerode calls with no planning, loading or labels beyond the project's. Imported by
 * compose-engine.bench.mjs (in-process floor) and run as a process (the floor any node CLI pays):
 *   node compose-engine-floor.mjs up PROJECT stack|scale|many
 *   node compose-engine-floor.mjs down PROJECT
 */
import Docker from 'dockerode';
import { fileURLToPath } from 'node:url';

const IMAGE = 'tscompose-test/busybox:latest';
const CMD = ['sleep', '3600'];
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
export const SETS = {
  stack: ['db', 'cache', 'api', 'web'],
  scale: Array.from({ length: 20 }, (_, i) => `web${i}`),
  many: Array.from({ length: 30 }, (_, i) => `s${i}`),
};

export async function floorUp(p, services, { healthGated = false } = {}) {
  const t0 = process.hrtime.bigint();
  const net = `${p}_default`;
  await docker.createNetwork({ Name: net, Labels: { 'com.docker.compose.project': p } });
  const create = (name, extra = {}) =>
    docker.createContainer({
      name: `${p}-${name}-1`, Image: IMAGE, Cmd: CMD, Labels: { 'com.docker.compose.project': p },
      HostConfig: { Init: true, NetworkMode: net }, NetworkingConfig: { EndpointsConfig: { [net]: { Aliases: [name] } } }, ...extra,
    });
  if (!healthGated) {
    await Promise.all(services.map(async (s) => (await create(s)).start()));
  } else {
    const [db, cache, api, web] = await Promise.all([
      create('db', { Healthcheck: { Test: ['CMD', 'true'], Interval: 200e6, Retries: 10 } }), create('cache'), create('api'), create('web'),
    ]);
    await Promise.all([db.start(), cache.start()]);
    for (;;) {
      const i = await db.inspect();
      if (i.State.Health?.Status === 'healthy') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await api.start();
    await web.start();
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function floorDown(p) {
  const t0 = process.hrtime.bigint();
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`com.docker.compose.project=${p}`] }) });
  await Promise.all(list.map(async (c) => {
    const k = docker.getContainer(c.Id);
    await k.stop({ t: 10 }).catch(() => undefined);
    await k.remove();
  }));
  await docker.getNetwork(`${p}_default`).remove();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [cmd, p, set] = process.argv.slice(2);
  if (cmd === 'up') await floorUp(p, SETS[set], { healthGated: set === 'stack' });
  else await floorDown(p);
}
