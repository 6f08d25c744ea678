/** Tests of the southbound as a controller node wires it (TLS with certificate-bound datapath ids). */
package io.flowkeeper.controller.southbound;
