/* SPDX-License-Identifier: GPL-2.0 */
T(test_single_node),
T(test_single_node_persist_gate),
T(test_three_node_basic),
