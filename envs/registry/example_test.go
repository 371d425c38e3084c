package registry_test

import (
	"fmt"

	"offrl/envs"
	"offrl/envs/pendulum"
	"offrl/envs/registry"
)

// ExampleMake runs one Pendulum-v1 episode with no torque until the time
// limit ends it.
func ExampleMake() {
	env, err := registry.Make("Pendulum-v1")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer env.Close()

	if _, _, err := env.Reset(0); err != nil {
		fmt.Println(err)
		return
	}
	action := make([]float64, env.ActionSpace().Dim())
	for steps := 1; ; steps++ {
		res, err := env.Step(action)
		if err != nil {
			fmt.Println(err)
			return
		}
		if res.Terminated || res.Truncated {
			fmt.Printf("ended after %d steps: terminated=%v truncated=%v\n",
				steps, res.Terminated, res.Truncated)
			break
		}
	}
	// Output: ended after 200 steps: terminated=false truncated=true
}

// ExampleLookup shows the metadata of a built-in environment.
func ExampleLookup() {
	spec, err := registry.Lookup("MountainCarContinuous-v0")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(spec.Task, spec.MaxEpisodeSteps, spec.DT)
	// Output: mountaincar 999 1
}

// ExampleRegistry_Register adds a variant with a shorter time limit to a
// registry owned by the caller.
func ExampleRegistry_Register() {
	r := registry.New()
	entry := registry.Entry{
		Spec: registry.Spec{ID: "Pendulum-short-v1", Task: "pendulum-short",
			MaxEpisodeSteps: 50, DT: pendulum.DTSeconds},
		New: func() (envs.Env, error) { return pendulum.New(), nil },
	}
	if err := r.Register(entry); err != nil {
		fmt.Println(err)
		return
	}
	spec, err := r.Lookup("Pendulum-short-v1")
	fmt.Println(spec.MaxEpisodeSteps, err, len(r.IDs()) == len(registry.IDs())+1)
	// Output: 50 <nil> true
}
