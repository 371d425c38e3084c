package mountaincar

// Observation returns e's current observation, for the external tests.
func Observation(e *Env) []float64 { return e.observation() }
