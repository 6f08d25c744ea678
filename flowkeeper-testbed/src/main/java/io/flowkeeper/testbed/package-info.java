/**
 * The test bed: isolated Open vSwitch "hosts" and "VMs" built from Linux network namespaces, veth pairs and real
 * {@code ovsdb-server}/{@code ovs-vswitchd} processes running the userspace datapath. Every integration test,
 * benchmark and the demo stand on it.
 *
 * <p>Layout of one {@link io.flowkeeper.testbed.TestBed} run (prefix {@code fk-<run>} / {@code fk<run>}):
 * <pre>
 *  root netns:  fk&lt;run&gt;m  Linux bridge, 198.18.X.254/24  (management: controllers listen here)
 *               fk&lt;run&gt;u  Linux bridge, no address      (underlay L2 segment between hosts)
 *  fk-&lt;run&gt;-h1: mgmt0 198.18.X.1   ovsdb-server + ovs-vswitchd (netdev), run dir &lt;root&gt;/&lt;run&gt;/h1
 *               br-ul (OVS) with port ul0, address 198.19.X.1 (only after attachUnderlay())
 *               br-int ... tapvm1 ...                  (bridges the test asks for)
 *  fk-&lt;run&gt;-h1-vm1: eth0 (veth peer of tapvm1 in the host), the VM's MAC and IP
 * </pre>
 * Everything is named with the run-unique prefix and recorded under the run directory together with the owning
 * JVM's pid, so a later run can sweep what a killed run left behind ({@link io.flowkeeper.testbed.Sweeper}).
 *
 * <p>Thread safety: a {@code TestBed} and its hosts may be used from several threads; each shell command is an
 * independent process.
 */
package io.flowkeeper.testbed;
