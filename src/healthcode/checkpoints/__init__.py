"""The checkpoint desk (卡口, SPEC §8): scan or type a code, see the verdict full screen, record the
temperature and the decision; manual checks by document for people without a phone."""
