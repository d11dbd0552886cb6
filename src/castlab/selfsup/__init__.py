"""Self-supervised pretext tasks on unlabelled images, then few-label classification."""
