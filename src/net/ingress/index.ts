/**
 * The ingress routing mesh's node dataplane (specs/networking.md, "Ingress: the dataplane"):
 * published ports DNATed on every node to backends on the ingress overlay, and replies routed
 * back through the entry node so backends see the client's own address. Knows no cluster objects.
 */
export { INGRESS_CT_MARK, SNAT_CT_MARK, REPLY_MARK_BASE, REPLY_MARK_MASK, replyMark } from './marks.js';
export { INGRESS_TABLE, normalizeHostTable, portChain, removeHostScript, renderHostTable, type IngressHostPort, type IngressHostTable } from './host-render.js';
export { FALLBACK_RULE_PREF, FALLBACK_TABLE, REPLY_RULE_PREF, REPLY_TABLE, renderReplyTable, replyEntries, replyRouteBatch, type ListedRule, type ReplyEntry, type ReplyRouting } from './reply-render.js';
export { IngressHostProgrammer, type IngressHostProgrammerOptions } from './host-programmer.js';
export { IngressReplyProgrammer, parseRules, type IngressReplyProgrammerOptions, type ReplyWanted } from './reply-programmer.js';
export { IngressCommandError, IngressInputError } from './errors.js';
