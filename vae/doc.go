// Package vae will hold the conditional variational auto-encoder that
// models the behaviour policy for A2PR (Liu et al. 2024) and BCQ-style
// action generation: an encoder q(z | s, a) and a decoder p(a | s, z) with
// 750-750 hidden layers, trained on reconstruction plus a KL term.
//
// Limitation: nothing is implemented yet; the package exists so that the
// layout of the module is complete. It arrives with the A2PR agent.
package vae
