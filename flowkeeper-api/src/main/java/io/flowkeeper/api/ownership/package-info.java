/**
 * Entity ownership, as OpenDaylight's entity ownership service: nodes register as candidates for entities they can
 * serve (a switch they have a session to, an application singleton), the ownership shard picks one owner per entity
 * and bumps the entity's generation on every owner change, and node liveness is a lease renewed through that shard.
 * Plain values, the service interface and its listener; the replicated implementation and its in-memory double live
 * in the cluster module.
 */
package io.flowkeeper.api.ownership;
