"""The deployment files: Dockerfile, .dockerignore and docker-compose.yaml."""
