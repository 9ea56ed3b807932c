"""Pure core of the counseling record: services, skills and the case life cycle."""
