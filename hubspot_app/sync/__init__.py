"""The order sync: pure core (mapping, stages, planner, hashing), services (setup, engine), jobs (tasks)."""
