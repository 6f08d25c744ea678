/** Unit tests of the operator's view: the timeline's retention and subscriptions. */
package io.flowkeeper.controller.operator;
