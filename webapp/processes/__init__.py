"""The long-running programs: the worker, the scheduler with its periodic jobs, and the one-machine launcher that
supervises them.
"""
