"""Cost allocation: shared pools spread over departments or projects by a driver, to the cent.

Read in this order: rounding (largest remainder), rules (policies/allocation_rules.yaml), drivers,
allocate (pool -> balanced GLBATCH), checks (budgets and the historical pattern), service (I/O).
"""
