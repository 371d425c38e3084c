// Package deploy holds no code: its directory has the files that run the
// toolkit on a cluster with no scheduler of ours (Kubernetes Indexed Jobs
// in k8s/, Slurm job arrays in slurm/, an image in Dockerfile; see
// README.md), and its tests run those files' command lines against freshly
// built programs.
package deploy
