"""What a trained model IS: the bundle MLflow stores and everyone loads."""
