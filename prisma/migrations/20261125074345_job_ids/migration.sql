-- AlterTable
ALTER TABLE "Animation" ADD COLUMN     "jobId" UUID;

-- AlterTable
ALTER TABLE "Reconstruction" ADD COLUMN     "jobId" UUID;
