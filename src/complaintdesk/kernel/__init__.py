"""What every feature may use: errors with bilingual messages, text clean-up, masking, time.
Rules only: the standard library and nothing else of the project.
"""
