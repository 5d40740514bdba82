"""Loading task data: source rows (hub or sample world) -> validated typed examples."""
