/**
 * # The allocator
 *
 * A leader-only pass between the orchestrator and the scheduler (swarmkit's manager/allocator
 * plays the same part): the orchestrator creates tasks `new`; the allocator gives each one an
 * address on every network its spec names and moves it to `pending` in the same write; only then
 * does the scheduler see it. Alongside, it allocates networks (subnet, gateway, VNI), a gateway
 * address per node that runs a task of a network (on an attachable network: per ready node, with
 * an attachment range), and one VIP per network of each `vip` service.
 * The rules a user sees are in specs/networking.md ("Addressing and allocation").
 *
 * ## Memoryless by design
 *
 * Every pass rebuilds every pool from the store view: an address is taken exactly when a live
 * holder in the store says it holds it (a node entry in `network.allocation.nodes`, a VIP in
 * `service.endpoint`, or an address of a task that may still run). Choices are lowest free
 * first, in a fixed order (networks by creation, services and tasks by id, new tasks by
 * creation), so a new leader — a fresh allocator on the same store — decides exactly what the
 * old one would have, and nothing is lost or leaked across leader changes. The cost, a scan of
 * all tasks per pass, is the same every other loop pays.
 *
 * ## Ordering hazards
 *
 * - **Release only when the holder is gone.** A task's addresses are released when its observed
 *   state is terminal (its container has stopped, so its endpoint is gone from the engine) or the
 *   task is deleted — not when it is asked to stop. Releasing on `desiredState: shutdown` would
 *   hand the address of a still-running container to a new task, and two containers would answer
 *   for one IP until the old one stopped. A task no longer wanted that never reached a node is
 *   the exception: the scheduler places only live tasks, so it will never run.
 * - **Reserve before allocating.** All existing holders are reserved before the first new address
 *   is handed out in a pass; a second claim on one address (which only a bug or a hand-edited
 *   store makes) is logged and never honoured.
 * - **A network can vanish between view and write.** The API refuses to remove a network that
 *   services use, but a removal can still race a pass (or an API on another manager). Each write
 *   group re-reads, inside its transaction, that every network it takes addresses from still has
 *   the subnet and VNI the decision used; otherwise the task stays `new` and the next pass tells it
 *   the network is gone. Addresses of a deleted network are simply no longer counted.
 * - **Version checks.** Every group writes only if the object is still at the version the
 *   decision read (the orchestrator may have set `desiredState: shutdown` meanwhile). A dropped
 *   group's addresses were never written, so nothing leaks; the next pass decides again.
 * - **One pass, one batch.** Every task passes through here, so all of a pass's writes go into
 *   one store batch (one raft round for up to 200 changes): networks first (a task's addresses
 *   need their network's allocation to be committed with or before them), then services, then
 *   tasks.
 * - **Leader change.** The new leader's first pass waits for a read barrier (its store has
 *   applied everything the old leader committed); a pass on a store that lags would not see the
 *   old leader's last allocations and could hand their addresses out again.
 * - **Node gateways need room.** A node gets its gateway when a task of the network is assigned to
 *   it, i.e. after the task already holds its address. So that the node can always get one, tasks
 *   and VIPs leave as many addresses free as there are usable nodes without a gateway on that
 *   network.
 * - **Attachment ranges are holders too.** On an attachable network each ready node's engine
 *   hands out addresses from its own block without asking anyone, so a block is reserved whole,
 *   in step 1 with the gateways, before any VIP or task address is restored or handed out; a
 *   stored block that collides with another holder is reported and replaced, never shared. New
 *   blocks come after every new gateway of the pass (a block must not take the address a node's
 *   gateway needs) and from the top of the subnet down, away from tasks filling it from the
 *   bottom. A node that finds no free block is reported and keeps none: its engine then refuses
 *   standalone containers rather than guessing an address.
 * - **Subnets overlap what hosts already use** (moby#50011): a new subnet avoids every other
 *   network's subnet and every CIDR the nodes report (interfaces and routes). A reported range
 *   inside an allocated network's subnet is that network's own bridge on the host and is ignored,
 *   or every overlay would overlap itself once it runs.
 * - **Published ports restore before they allocate.** Every number written in a service's
 *   `endpoint.ports` is taken back before any new one is handed out, as addresses are, so a
 *   service sorting first never takes another's number. An allocated number is written only if
 *   no other service took it inside the write's transaction: the API checks explicit numbers in
 *   its own transaction, but the allocator decided from an older view.
 * - **Exhaustion is shown where it is felt** (moby#37338): a task that cannot get an address stays
 *   `new` with the reason in `status.err` ("no address left on network front (254 of 254 in
 *   use)"), so `service ps` shows it; the next pass (any task event, or the tick) retries.
 */
export {};
