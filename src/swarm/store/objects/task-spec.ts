import { z } from 'zod';
import { durationSchema, idSchema, labelsSchema } from './common.js';

/**
 * The part of a service spec that every task copies at creation. A task keeps its own copy, so a
 * service update never changes a running task in place: the orchestrator replaces tasks instead.
 */

export const mountSchema = z.strictObject({
  type: z.enum(['bind', 'volume', 'tmpfs']),
  /** Host path or volume name; empty for tmpfs. */
  source: z.string(),
  target: z.string().min(1),
  readOnly: z.boolean(),
});

export const healthcheckSchema = z.strictObject({
  /** Docker's form: ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]. */
  test: z.array(z.string()).min(1),
  intervalMs: durationSchema,
  timeoutMs: durationSchema,
  retries: z.int().nonnegative(),
  startPeriodMs: durationSchema,
});

/** A secret or config made available to the container as a file. */
export const fileReferenceSchema = z.strictObject({
  /** Store id of the secret or config. */
  id: idSchema,
  /** Its name when the spec was written (for display; the id is what is resolved). */
  name: z.string().min(1),
  target: z.strictObject({
    /** File name under /run/secrets (secrets) or an absolute path (configs). */
    name: z.string().min(1),
    uid: z.string(),
    gid: z.string(),
    mode: z.int().min(0).max(0o7777),
  }),
});

/** Docker's DNSConfig: the container's resolv.conf (nameservers after the overlay resolver, when there is one). */
export const dnsConfigSchema = z.strictObject({
  nameservers: z.array(z.string().min(1)),
  search: z.array(z.string().min(1)),
  options: z.array(z.string().min(1)),
});
export type DnsConfig = z.infer<typeof dnsConfigSchema>;

export const containerSpecSchema = z.strictObject({
  image: z.string().min(1),
  /** Replaces the image entrypoint when non-empty. */
  command: z.array(z.string()),
  args: z.array(z.string()),
  /** "KEY=value" entries, in order. */
  env: z.array(z.string()),
  workdir: z.string(),
  user: z.string(),
  hostname: z.string(),
  labels: labelsSchema,
  mounts: z.array(mountSchema),
  healthcheck: healthcheckSchema.nullable(),
  secrets: z.array(fileReferenceSchema),
  configs: z.array(fileReferenceSchema),
  stopGracePeriodMs: durationSchema,
  init: z.boolean(),
  /*
   * dns, hosts and groups default to empty so specs written before they existed still decode; the
   * stored form always carries them (validation output is what is stored).
   */
  dns: dnsConfigSchema.default({ nameservers: [], search: [], options: [] }),
  /** `/etc/hosts` entries as Docker's `--add-host` writes them: `HOST:IP`. */
  hosts: z.array(z.string().min(1)).default([]),
  /** Supplementary groups of the container's process (HostConfig.GroupAdd). */
  groups: z.array(z.string().min(1)).default([]),
});
export type ContainerSpec = z.infer<typeof containerSpecSchema>;

const resourceAmountSchema = z.strictObject({
  nanoCPUs: z.int().nonnegative(),
  memoryBytes: z.int().nonnegative(),
});

export const resourcesSchema = z.strictObject({
  /** 0 means unlimited. */
  limits: resourceAmountSchema,
  /** What the scheduler sets aside on the chosen node. */
  reservations: resourceAmountSchema,
});

export const restartPolicySchema = z.strictObject({
  condition: z.enum(['none', 'on-failure', 'any']),
  delayMs: durationSchema,
  /** 0 means no limit. */
  maxAttempts: z.int().nonnegative(),
  /** Window the attempts are counted in; 0 means forever. */
  windowMs: durationSchema,
});

export const placementSchema = z.strictObject({
  /** Expressions like "node.role==manager", "node.labels.zone!=b". */
  constraints: z.array(z.string().min(1)),
  preferences: z.array(z.strictObject({ spread: z.string().min(1) })),
  /** 0 means no limit. */
  maxReplicasPerNode: z.int().nonnegative(),
});

export const networkAttachmentSpecSchema = z.strictObject({
  /** Network id. */
  target: idSchema,
  aliases: z.array(z.string().min(1)),
});

export const taskSpecSchema = z.strictObject({
  container: containerSpecSchema,
  resources: resourcesSchema,
  restartPolicy: restartPolicySchema,
  placement: placementSchema,
  networks: z.array(networkAttachmentSpecSchema),
  /** Bumped to force a rolling replacement with an otherwise unchanged spec. */
  forceUpdate: z.int().nonnegative(),
});
export type TaskSpec = z.infer<typeof taskSpecSchema>;
