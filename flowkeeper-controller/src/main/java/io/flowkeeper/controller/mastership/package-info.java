/**
 * Switch mastership: this node's lease (renewed through the ownership shard, self-fenced before another node can
 * take over), the lease expiry the ownership shard's leader runs, one {@link
 * io.flowkeeper.controller.mastership.SwitchMaster} per connected switch that asks the switch for MASTER or SLAVE
 * with the entity generation, programs desired flows while master (setting aside, and publishing, the ones the
 * switch refuses) and publishes statistics, and the calls other nodes forward to a switch's master. Desired flows
 * are written by {@link io.flowkeeper.controller.mastership.DesiredFlows} with their identity index, at a cost that
 * does not grow with the switch.
 */
package io.flowkeeper.controller.mastership;
