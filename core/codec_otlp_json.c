/* SPDX-License-Identifier: Apache-2.0 */ /* stub: being written */
