/**
 * The node overlay dataplane: VXLAN devices with the host's macvlan on each, fdb and neighbour entries for
 * remote endpoints, and the VXLAN firewall, converged from a wanted state (specs/networking.md).
 * Knows no cluster objects: the agent derives {@link OverlayHostWanted} from the store.
 */
export { macForIp, overlayMtu, VXLAN_OVERHEAD } from './addressing.js';
export { OverlayDataplane, type ConvergeResult, type OverlayDataplaneOptions } from './dataplane.js';
export { OverlayCommandError, OverlayParseError, OverlayWantedError } from './errors.js';
export { apply, execRunner, type CommandResult, type CommandRunner, type ExecRunnerOptions } from './exec.js';
export { FIREWALL, renderFirewall } from './firewall.js';
export { overlayDeviceNames, SHIM_PREFIX, VXLAN_PREFIX } from './names.js';
export { observe } from './observe.js';
export { parseFdb, parseFirewall, parseLinks, parseNeighbours } from './parse.js';
export { plan, planTeardown } from './plan.js';
export { validateWanted } from './validate.js';
export type * from './types.js';
