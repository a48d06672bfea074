"""Run an RQ worker for Herald's queues (`python worker.py [--burst]`): the entry the Procfile names."""

from webapp.processes.worker import main

if __name__ == "__main__":
    main()
