"""Belle II-like detector level: reconstructed q2 (q2_rec), track resolution, efficiency maps."""
