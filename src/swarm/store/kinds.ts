import type { z } from 'zod';
import { clusterBodySchema, clusterSchema, type Cluster } from './objects/cluster.js';
import { configBodySchema, configSchema, type Config } from './objects/config.js';
import { networkBodySchema, networkSchema, type Network } from './objects/network.js';
import { nodeBodySchema, nodeSchema, type Node } from './objects/node.js';
import { secretBodySchema, secretSchema, type Secret } from './objects/secret.js';
import { serviceBodySchema, serviceSchema, type Service } from './objects/service.js';
import { taskBodySchema, taskSchema, type Task } from './objects/task.js';

/**
 * The kinds of object the store holds, in the order snapshots list them. Adding a kind is a
 * snapshot format change only if an old build must read it; see specs/store.md.
 */
export const KINDS = ['cluster', 'node', 'service', 'task', 'network', 'secret', 'config'] as const;
export type Kind = (typeof KINDS)[number];

/** The stored object of each kind. */
export interface ObjectMap {
  cluster: Cluster;
  node: Node;
  service: Service;
  task: Task;
  network: Network;
  secret: Secret;
  config: Config;
}
export type StoreObject<K extends Kind = Kind> = ObjectMap[K];

/** An object as written by a command: everything except `meta`, which apply assigns. */
export type ObjectBody<K extends Kind = Kind> = Omit<ObjectMap[K], 'meta'>;

/** Kinds whose `spec.name` is unique across the kind, enforced at apply time. */
export const NAMED_KINDS = ['cluster', 'service', 'network', 'secret', 'config'] as const;
export type NamedKind = (typeof NAMED_KINDS)[number];

interface KindInfo {
  body: z.ZodType<unknown>;
  full: z.ZodType<unknown>;
  /** Unique name of an object of this kind, or undefined for kinds without one. */
  nameOf: ((o: ObjectBody) => string) | undefined;
}

const specName = (o: ObjectBody): string => (o as { spec: { name: string } }).spec.name;

export const KIND_INFO: Readonly<Record<Kind, KindInfo>> = {
  cluster: { body: clusterBodySchema, full: clusterSchema, nameOf: specName },
  node: { body: nodeBodySchema, full: nodeSchema, nameOf: undefined },
  service: { body: serviceBodySchema, full: serviceSchema, nameOf: specName },
  task: { body: taskBodySchema, full: taskSchema, nameOf: undefined },
  network: { body: networkBodySchema, full: networkSchema, nameOf: specName },
  secret: { body: secretBodySchema, full: secretSchema, nameOf: specName },
  config: { body: configBodySchema, full: configSchema, nameOf: specName },
};

export function isKind(s: unknown): s is Kind {
  return typeof s === 'string' && (KINDS as readonly string[]).includes(s);
}

export function isNamedKind(k: Kind): k is NamedKind {
  return KIND_INFO[k].nameOf !== undefined;
}
