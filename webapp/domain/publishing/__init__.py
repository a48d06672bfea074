"""Publishing: schedules and their publications, the lifecycle people drive, the attempt a worker runs,
throttling, failure detection, missed runs, recovery, pre-flight, reconciliation, chains, rescheduling and the
calendar.
"""
